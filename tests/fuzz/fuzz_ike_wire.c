/*
 * fuzz_ike_wire.c — libFuzzer entry for the IKE wire decoder (parsers/ike_wire.c): the input
 * is one UDP payload. The first byte says how much of it the "capture" holds (so cut messages
 * are exercised too); the decoded fields are checked against the invariants the rest of the
 * program relies on.
 */
#include "../../parsers/ike_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t datagram = size - 1;
    size_t cap = data[0] == 0xff ? datagram : datagram * data[0] / 255;
    /* a copy of exactly `cap` bytes: ASan catches any read past the captured part */
    uint8_t *p = malloc(cap ? cap : 1);
    if (!p)
        return 0;
    if (cap)
        memcpy(p, data + 1, cap);
    struct ikm_ike_msg m;
    ikm_ike_msg_init(&m, IKM_ORIGIN_PCAP);
    enum ike_wire_status s = ike_wire_decode(p, cap, datagram, &m);
    if (s == IKE_WIRE_OK) {
        if (m.has_spi != 1 || m.length < 28 || m.length > 0xffffffffLL)
            abort();
        if (memchr(m.payloads, 0, sizeof m.payloads) == NULL)
            abort();
        if (m.liveness < -1 || m.liveness > 100)
            abort();
        if (m.notify_error != -1 && (m.notify_error < 1 || m.notify_error > IKE_NOTIFY_ERROR_MAX))
            abort();
        if ((m.frag_num < 0) != (m.frag_total < 0))
            abort();
        if (m.is_response != -1 && m.is_response != 0 && m.is_response != 1)
            abort();
        if (m.length_mismatch != ((uint64_t)m.length != (uint64_t)datagram))
            abort();
    } else if (s == IKE_WIRE_SHORT) {
        if (cap >= IKE_WIRE_HDR_LEN)
            abort();
    } else if (s != IKE_WIRE_BAD_LENGTH) {
        abort();
    }
    char buf[IKE_WIRE_NAME_MAX];
    if (!ike_wire_payload_name(2, data[0], buf) || !ike_wire_notify_name(1, data[0] * 257, buf))
        abort();
    free(p);
    return 0;
}
