/* addr.c - printing and parsing of sf_addr_t (IPv4-mapped IPv6) and of
 * "HOST:PORT" endpoints (addr.h). */
#include "addr.h"
#include "flow.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

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

/* The host part of text before sep (the port's ':' or the end). */
static gboolean host_part(const char *text, const char *sep, guint flags,
                          char **host)
{
    if (text[0] == '[') {
        const char *end = strchr(text, ']');
        if (end == NULL || end + 1 != sep)
            return FALSE;
        *host = g_strndup(text + 1, (gsize)(end - text - 1));
    } else {
        if ((flags & SF_HOSTPORT_V6_BRACKETED)
            && (sep == text || memchr(text, ':', (size_t)(sep - text))))
            return FALSE;
        *host = g_strndup(text, (gsize)(sep - text));
    }
    if ((flags & SF_HOSTPORT_HOST_REQUIRED) && **host == '\0') {
        g_clear_pointer(host, g_free);
        return FALSE;
    }
    return TRUE;
}

gboolean sf_hostport_parse(const char *text, guint flags, char **host,
                           char **port)
{
    const char *close = text[0] == '[' ? strchr(text, ']') : NULL;
    const char *colon = close ? (close[1] == ':' ? close + 1 : NULL)
                              : strrchr(text, ':');
    const char *sep = colon ? colon : text + strlen(text);

    *host = NULL;
    *port = NULL;
    if (colon == NULL && !(flags & SF_HOSTPORT_PORT_OPTIONAL))
        return FALSE;
    if (colon && !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, NULL, NULL))
        return FALSE;
    if (!host_part(text, sep, flags, host))
        return FALSE;
    *port = colon ? g_strdup(colon + 1) : NULL;
    return TRUE;
}

void sf_addr_from_sockaddr(sf_addr_t *a, const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        sf_addr_set_v4(a, (const uint8_t *)&s4->sin_addr);
    } else {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        memcpy(a->b, &s6->sin6_addr, 16);
    }
}
