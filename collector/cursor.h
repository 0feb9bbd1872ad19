/*
 * cursor.h - bounds-checked reads from untrusted wire bytes.
 *
 * Every length that comes off the wire is compared with what remains before
 * it is used.  Reads never advance past the end: a failed read leaves the
 * cursor unchanged and returns false, so a decoder can count a named error
 * and stop.
 */
#ifndef SF_CURSOR_H
#define SF_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sf_cursor {
    const uint8_t *p;
    size_t         left;
} sf_cursor_t;

static inline sf_cursor_t sf_cursor(const uint8_t *p, size_t len)
{
    sf_cursor_t c = { p, len };
    return c;
}

static inline uint16_t sf_get16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t sf_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void sf_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void sf_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline bool sf_cur_u16(sf_cursor_t *c, uint16_t *v)
{
    if (c->left < 2)
        return false;
    *v = sf_get16(c->p);
    c->p += 2;
    c->left -= 2;
    return true;
}

static inline bool sf_cur_u32(sf_cursor_t *c, uint32_t *v)
{
    if (c->left < 4)
        return false;
    *v = sf_get32(c->p);
    c->p += 4;
    c->left -= 4;
    return true;
}

/* Takes n bytes as a sub-cursor. */
static inline bool sf_cur_take(sf_cursor_t *c, size_t n, sf_cursor_t *sub)
{
    if (c->left < n)
        return false;
    sub->p = c->p;
    sub->left = n;
    c->p += n;
    c->left -= n;
    return true;
}

#endif
