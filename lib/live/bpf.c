#include "live/sources.h"
