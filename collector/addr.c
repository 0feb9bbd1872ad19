/* addr.c - printing and parsing of sf_addr_t (IPv4-mapped IPv6). */
#include "flow.h"

#include <arpa/inet.h>
#include <string.h>

const char *sf_addr_to_string(const sf_addr_t *a, char *buf)
{
    if (sf_addr_is_v4(a))
        inet_ntop(AF_INET, a->b + 12, buf, SF_ADDR_STRLEN);
    else
        inet_ntop(AF_INET6, a->b, buf, SF_ADDR_STRLEN);
    return buf;
}

bool sf_addr_parse(const char *text, sf_addr_t *out)
{
    uint8_t v4[4];

    if (inet_pton(AF_INET, text, v4) == 1) {
        sf_addr_set_v4(out, v4);
        return true;
    }
    return inet_pton(AF_INET6, text, out->b) == 1;
}
