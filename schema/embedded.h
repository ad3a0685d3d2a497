/*
 * embedded.h — files compiled into the binary by schema/embed.c (--table mode): the rule
 * files. A table ends with an entry whose name is NULL.
 */
#ifndef IKM_EMBEDDED_H
#define IKM_EMBEDDED_H

struct ikm_embedded {
    const char *name; /* the file's base name */
    const char *text; /* NUL-terminated */
    unsigned long len;
};

#endif
