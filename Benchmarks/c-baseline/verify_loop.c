/*
 * Plain C baseline for Ed25519 verification with Debian's libsodium.
 *
 * Signs one 150-byte message once, then calls crypto_sign_verify_detached in a single-threaded loop for about
 * SECONDS (default 3, first argument) and prints the number of verifies and verifies per second. The Swift
 * counterpart is the VerifyRate executable of the benchmarks package; scripts/compare-verify.sh runs both.
 *
 * Build: cc -O2 verify_loop.c -lsodium -o verify_loop
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { MESSAGE_BYTES = 150, BATCH = 256 };

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    if (seconds <= 0) {
        fprintf(stderr, "usage: %s [seconds]\n", argv[0]);
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }

    unsigned char message[MESSAGE_BYTES];
    for (int i = 0; i < MESSAGE_BYTES; i++) {
        message[i] = (unsigned char)(i * 31 + 7);
    }
    unsigned char seed[crypto_sign_SEEDBYTES];
    for (size_t i = 0; i < sizeof seed; i++) {
        seed[i] = (unsigned char)(i + 1);
    }
    unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
    unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
    unsigned char signature[crypto_sign_BYTES];
    crypto_sign_seed_keypair(public_key, secret_key, seed);
    crypto_sign_detached(signature, NULL, message, MESSAGE_BYTES, secret_key);

    long verifies = 0;
    long failures = 0;
    double start = now_seconds();
    double deadline = start + seconds;
    double now;
    do {
        for (int i = 0; i < BATCH; i++) {
            /* The result is used, so the call cannot be dropped; libsodium is a shared library anyway. */
            failures += crypto_sign_verify_detached(signature, message, MESSAGE_BYTES, public_key) != 0;
        }
        verifies += BATCH;
        now = now_seconds();
    } while (now < deadline);

    double elapsed = now - start;
    if (failures != 0) {
        fprintf(stderr, "%ld verifies failed\n", failures);
        return 1;
    }
    printf("c verifies=%ld seconds=%.3f verifies_per_second=%.0f\n", verifies, elapsed, (double)verifies / elapsed);
    return 0;
}
