/* The zlib reference for scripts/bench: inflates every file named on the command line (all gzip members),
 * on one core, and prints the bytes produced. Nothing else: this is the floor deadletter is measured against. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static unsigned char in[1 << 17], out[1 << 18];

int main(int argc, char **argv) {
    unsigned long long total = 0;
    for (int f = 1; f < argc; f++) {
        FILE *fp = fopen(argv[f], "rb");
        if (!fp) { perror(argv[f]); return 1; }
        z_stream s;
        memset(&s, 0, sizeof s);
        if (inflateInit2(&s, 32 + MAX_WBITS) != Z_OK) return 1;
        int status = Z_OK;
        size_t n;
        while ((n = fread(in, 1, sizeof in, fp)) > 0) {
            s.next_in = in;
            s.avail_in = (uInt)n;
            while (s.avail_in > 0) {
                s.next_out = out;
                s.avail_out = sizeof out;
                status = inflate(&s, Z_NO_FLUSH);
                total += sizeof out - s.avail_out;
                if (status == Z_STREAM_END) {
                    if (s.avail_in == 0) break;
                    inflateReset(&s);
                } else if (status != Z_OK && status != Z_BUF_ERROR) {
                    fprintf(stderr, "%s: zlib error %d\n", argv[f], status);
                    return 1;
                }
            }
        }
        inflateEnd(&s);
        fclose(fp);
    }
    printf("%llu\n", total);
    return 0;
}
