/*
 * httpd.h - scanflowd's /metrics HTTP server (--metrics ADDR:PORT), on
 * libmicrohttpd with a thread of its own.
 */
#ifndef SF_HTTPD_H
#define SF_HTTPD_H

#include "metrics.h"

typedef struct sf_httpd sf_httpd_t;

/* Binds spec ("ADDR:PORT", "[v6]:PORT"; port 0 picks a free one, logged)
 * and serves m at /metrics until sf_httpd_stop. */
sf_httpd_t *sf_httpd_start(sf_metrics_t *m, const char *spec, GError **err);
/* Stops serving and closes the socket; NULL is a no-op. */
void sf_httpd_stop(sf_httpd_t *h);

#endif
