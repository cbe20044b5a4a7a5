/*
 * arena.c - region allocator (see arena.h). Layer: core.
 *
 * Layout: a singly linked list of blocks, newest first; allocation bumps a pointer in the newest
 * block. Big requests get a block of their own. Cleanups are a linked list allocated from the
 * arena itself.
 */
#include "core/arena.h"
#include "core/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16

struct block {
    struct block *next;
    size_t size, used;
    _Alignas(ALIGN) unsigned char data[];
};

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *p;
};

struct arena {
    struct block *head;
    struct block *first;
    struct cleanup *cleanups;
    size_t total, limit, first_size, handed;
};

static struct block *block_new(size_t size)
{
    struct block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct arena *arena_new(size_t first, size_t limit)
{
    struct arena *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    if (first < 256)
        first = 256;
    a->limit = limit ? limit : (size_t)256 << 20;
    a->first_size = first;
    a->first = a->head = block_new(first);
    if (!a->head) {
        free(a);
        return NULL;
    }
    a->total = first;
    return a;
}

static void run_cleanups(struct arena *a)
{
    struct cleanup *c = a->cleanups;
    a->cleanups = NULL;
    for (; c; c = c->next)
        c->fn(c->p);
}

void arena_reset(struct arena *a)
{
    if (!a)
        return;
    run_cleanups(a);
    struct block *b = a->head;
    while (b && b != a->first) {
        struct block *n = b->next;
        free(b);
        b = n;
    }
    a->head = a->first;
    a->first->next = NULL;
    a->first->used = 0;
    a->total = a->first_size;
    a->handed = 0;
}

void arena_free(struct arena *a)
{
    if (!a)
        return;
    run_cleanups(a);
    struct block *b = a->head;
    while (b) {
        struct block *n = b->next;
        free(b);
        b = n;
    }
    free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need < n)
        return NULL;
    struct block *b = a->head;
    if (b->size - b->used < need) {
        size_t size = b->size * 2;
        if (size < need)
            size = need;
        if (size > (size_t)16 << 20 && need <= (size_t)16 << 20)
            size = (size_t)16 << 20;
        if (a->total + size > a->limit)
            return NULL;
        struct block *nb = block_new(size);
        if (!nb)
            return NULL;
        nb->next = a->head;
        a->head = nb;
        a->total += size;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->handed += need;
    return p;
}

void *arena_calloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    if (!s || n == SIZE_MAX)
        return NULL;
    char *d = arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *d = n >= 0 ? arena_alloc(a, (size_t)n + 1) : NULL;
    if (d)
        vsnprintf(d, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return d;
}

int arena_on_free(struct arena *a, void (*fn)(void *), void *p)
{
    struct cleanup *c = arena_alloc(a, sizeof *c);
    if (!c)
        return ERR_NOMEM;
    c->fn = fn;
    c->p = p;
    c->next = a->cleanups;
    a->cleanups = c;
    return 0;
}

size_t arena_used(const struct arena *a)
{
    return a->handed;
}
