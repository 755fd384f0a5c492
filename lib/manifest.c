/* manifest.c: placeholder. */
#include "private.h"
