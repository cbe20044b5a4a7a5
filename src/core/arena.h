/*
 * arena.h - region allocator: many allocations, one release.
 *
 * Layer: core. Each HTTP request (and each CLI command, each WebSocket message) owns one arena;
 * everything it allocates comes from it and dies with it in arena_free(). Blocks are chained;
 * a request that needs more than the first block grows by doubling, up to the arena's limit,
 * after which allocation fails (NULL) instead of taking the process down. Cleanups registered
 * with arena_on_free() run in reverse order before the memory is released, so statements, files
 * and library objects can be tied to the arena's lifetime. Not thread-safe: one owner at a time.
 */
#ifndef SB_ARENA_H
#define SB_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

/* A new arena whose first block holds `first` bytes and whose total may not exceed `limit`
 * bytes (0 = 256 MiB). Returns NULL when out of memory. Free with arena_free(). */
struct arena *arena_new(size_t first, size_t limit);

/* Runs the cleanups, then releases every block. Accepts NULL. */
void arena_free(struct arena *a);

/* Releases all but the first block and forgets every allocation, keeping the arena for reuse.
 * Cleanups run first. */
void arena_reset(struct arena *a);

/* n bytes aligned for any type, or NULL when the limit is reached. Freed with the arena. */
void *arena_alloc(struct arena *a, size_t n);

/* Like arena_alloc, zero-filled. */
void *arena_calloc(struct arena *a, size_t n);

/* Copies s (NULL gives NULL) / the first n bytes of s plus a NUL terminator. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* printf into the arena. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Registers fn(p) to run when the arena is reset or freed; returns 0 or ERR_NOMEM. */
int arena_on_free(struct arena *a, void (*fn)(void *), void *p);

/* Bytes handed out so far (for tests and metrics). */
size_t arena_used(const struct arena *a);

#endif
