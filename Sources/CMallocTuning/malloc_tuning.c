#include "CMallocTuning.h"

#include <malloc.h>

int sopd_malloc_limit_arenas(int count) {
    return mallopt(M_ARENA_MAX, count);
}

int sopd_malloc_trim(void) {
    return malloc_trim(0);
}
