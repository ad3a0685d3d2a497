/*
 * embed.c — build tool: turns a text file (schema DDL, rule files) into a C array so the
 * program never needs the source tree at run time.
 *
 *   embed SYMBOL INPUT OUTPUT.c   →   const char SYMBOL[] = {..., 0}; const unsigned long SYMBOL_len;
 */
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: embed SYMBOL INPUT OUTPUT.c\n");
        return 2;
    }
    FILE *in = fopen(argv[2], "rb");
    if (!in) {
        perror(argv[2]);
        return 1;
    }
    FILE *out = fopen(argv[3], "w");
    if (!out) {
        perror(argv[3]);
        fclose(in);
        return 1;
    }
    fprintf(out, "/* generated from %s by schema/embed.c; do not edit */\n", argv[2]);
    fprintf(out, "const char %s[] = {", argv[1]);
    unsigned long n = 0;
    int c;
    while ((c = fgetc(in)) != EOF) {
        fprintf(out, "%s%d,", n % 24 == 0 ? "\n" : "", c);
        n++;
    }
    fprintf(out, "0};\nconst unsigned long %s_len = %lu;\n", argv[1], n);
    int err = ferror(in) || fclose(out) != 0;
    fclose(in);
    if (err) {
        fprintf(stderr, "embed: write failed\n");
        return 1;
    }
    return 0;
}
