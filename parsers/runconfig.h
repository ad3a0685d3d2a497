/*
 * runconfig.h — parser for the PAN-OS configuration XML: running-config.xml,
 * .merged-running-config.xml, candidate and saved configs, Panorama configs with templates
 * (../shared/formats.md §5 says where they sit in a tech-support file).
 *
 * What it extracts (record by record through the sink):
 *  - device facts "hostname", "timezone", "domain", "ip-address" (management) from
 *    devices/entry/deviceconfig/system, and "config-version" / "config-detail-version" from
 *    the attributes of the first <config> element;
 *  - one ikm_cfg_gateway per network/ike/gateway/entry;
 *  - one ikm_cfg_tunnel per network/tunnel/ipsec/entry, and a device fact
 *    "tunnel-gateway-count" (line = the tunnel's line) when a tunnel names several gateways.
 * A record is emitted when its </entry> closes; an entry cut by an XML error is not emitted.
 *
 * The file is read in chunks and parsed with expat as it streams: memory stays bounded (every
 * kept value <= RUNCONFIG_VALUE_MAX bytes, nesting <= RUNCONFIG_DEPTH_MAX, expat's own heap
 * <= RUNCONFIG_EXPAT_MEM_MAX). DOCTYPE declarations are refused, so no entity is ever expanded.
 *
 * Units are the file's lines (LF, CRLF or lone CR, as expat numbers them). A well-formed file
 * is parsed whole. On an XML error at line N: lines 1..N-1 are parsed, line N gets one
 * unparsed record ("XML error"), and the lines after it are counted unparsed without a record
 * each — parsed + unparsed = units always, but unparsed records = 1, not one per line.
 *
 * Ownership: the caller owns the stream and the sink; nothing is kept after the call.
 */
#ifndef IKM_RUNCONFIG_H
#define IKM_RUNCONFIG_H

#include "linereader.h"
#include "sink.h"

#define RUNCONFIG_VALUE_MAX ((size_t)4096)          /* bytes kept of any name or value */
#define RUNCONFIG_DEPTH_MAX 256                     /* element nesting */
#define RUNCONFIG_EXPAT_MEM_MAX ((size_t)64 << 20)  /* expat's live heap, per thread */

/* Confidence 0..100 that buf[0..n) (the first bytes of a file) is a PAN-OS configuration:
 * 10 for an XML declaration alone, 60 for a <config> element, 100 for <config> with a PAN
 * marker after it (urldb=, detail-version=, <devices>, <mgt-config>, <deviceconfig>). */
int runconfig_sniff(const char *buf, size_t n);

/* Reads and parses the whole stream. Returns 0 when it was read to its end and is
 * well-formed, 1 on a read error or an XML error (reported as diagnostics; every record
 * completed before it is kept), -1 when the sink refused a record or memory ran out.
 * stats is filled in every case. */
int runconfig_parse_stream(struct ikm_stream s, const struct ikm_sink *sink, struct ikm_source_stats *stats);

#endif
