#ifndef SOPD_CMALLOCTUNING_H
#define SOPD_CMALLOCTUNING_H

// glibc's malloc tuning, which Swift's Glibc module does not expose (mallopt and malloc_trim).

/// Caps the malloc arenas of the process at `count` (mallopt M_ARENA_MAX). Returns 1 on success.
int sopd_malloc_limit_arenas(int count);

/// Gives the free memory at the top and in the middle of the heaps back to the kernel (malloc_trim).
/// Returns 1 when some memory was released.
int sopd_malloc_trim(void);

#endif
