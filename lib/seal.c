/* seal.c: placeholder. */
#include "private.h"
