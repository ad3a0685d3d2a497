/*
 * test_runconfig.c — the PAN-OS configuration XML parser on configs written from the public
 * schema (pan-os-python network.IkeGateway/IpsecTunnel, device.SystemSettings; pan-os-codegen
 * specs/network/ike-gateway.yaml and tunnels/ipsec.yaml; pango netw/ikegw for the pre-7.0
 * shape): a firewall with an IKEv2 static peer and an IKEv1 dynamic peer, a Panorama with a
 * template and a template stack, a PAN-OS 6.1 gateway, an API export; then hostile input.
 *
 * Expected line numbers are found in the test text itself (line_of), never hard-coded, so a
 * snippet can be edited without re-counting.
 */
#include "../parsers/runconfig.h"
#include "memsink.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(text) (text), (sizeof(text) - 1)

/* A firewall's running-config.xml (PAN-OS 10.1), one element per line as PAN-OS writes it. */
static const char fw_config[] =
    "<?xml version=\"1.0\"?>\n"
    "<config version=\"10.1.0\" urldb=\"paloaltonetworks\" detail-version=\"10.1.9\">\n"
    "  <mgt-config>\n"
    "    <users>\n"
    "      <entry name=\"admin\">\n"
    "        <phash>$5$abcdefgh$0123456789abcdefghijklmnopqrstuvwxyzABCDEFG</phash>\n"
    "        <permissions>\n"
    "          <role-based>\n"
    "            <superuser>yes</superuser>\n"
    "          </role-based>\n"
    "        </permissions>\n"
    "      </entry>\n"
    "    </users>\n"
    "  </mgt-config>\n"
    "  <shared>\n"
    "    <application/>\n"
    "  </shared>\n"
    "  <devices>\n"
    "    <entry name=\"localhost.localdomain\">\n"
    "      <network>\n"
    "        <interface>\n"
    "          <tunnel>\n"
    "            <units>\n"
    "              <entry name=\"tunnel.1\">\n"
    "                <ip>\n"
    "                  <entry name=\"169.254.10.2/30\"/>\n"
    "                </ip>\n"
    "              </entry>\n"
    "              <entry name=\"tunnel.2\"/>\n"
    "            </units>\n"
    "          </tunnel>\n"
    "        </interface>\n"
    "        <ike>\n"
    "          <crypto-profiles>\n"
    "            <ike-crypto-profiles>\n"
    "              <entry name=\"aws-ike\">\n"
    "                <hash>\n"
    "                  <member>sha256</member>\n"
    "                </hash>\n"
    "                <dh-group>\n"
    "                  <member>group14</member>\n"
    "                </dh-group>\n"
    "                <encryption>\n"
    "                  <member>aes-256-cbc</member>\n"
    "                </encryption>\n"
    "                <lifetime>\n"
    "                  <hours>8</hours>\n"
    "                </lifetime>\n"
    "              </entry>\n"
    "            </ike-crypto-profiles>\n"
    "            <ipsec-crypto-profiles>\n"
    "              <entry name=\"aws-ipsec\">\n"
    "                <esp>\n"
    "                  <authentication>\n"
    "                    <member>sha256</member>\n"
    "                  </authentication>\n"
    "                  <encryption>\n"
    "                    <member>aes-256-cbc</member>\n"
    "                  </encryption>\n"
    "                </esp>\n"
    "                <lifetime>\n"
    "                  <hours>1</hours>\n"
    "                </lifetime>\n"
    "                <dh-group>group14</dh-group>\n"
    "              </entry>\n"
    "            </ipsec-crypto-profiles>\n"
    "          </crypto-profiles>\n"
    "          <gateway>\n"
    "            <entry name=\"gw-aws-1\">\n"
    "              <authentication>\n"
    "                <pre-shared-key>\n"
    "                  <key>-AQ==Zm9vYmFyYmF6cXV4==</key>\n"
    "                </pre-shared-key>\n"
    "              </authentication>\n"
    "              <protocol>\n"
    "                <ikev1>\n"
    "                  <dpd>\n"
    "                    <enable>yes</enable>\n"
    "                  </dpd>\n"
    "                </ikev1>\n"
    "                <ikev2>\n"
    "                  <dpd>\n"
    "                    <enable>yes</enable>\n"
    "                    <interval>10</interval>\n"
    "                  </dpd>\n"
    "                  <ike-crypto-profile>aws-ike</ike-crypto-profile>\n"
    "                </ikev2>\n"
    "                <version>ikev2</version>\n"
    "              </protocol>\n"
    "              <local-address>\n"
    "                <ip>198.51.100.2/30</ip>\n"
    "                <interface>ethernet1/1</interface>\n"
    "              </local-address>\n"
    "              <protocol-common>\n"
    "                <nat-traversal>\n"
    "                  <enable>no</enable>\n"
    "                </nat-traversal>\n"
    "                <fragmentation>\n"
    "                  <enable>no</enable>\n"
    "                </fragmentation>\n"
    "                <passive-mode>no</passive-mode>\n"
    "              </protocol-common>\n"
    "              <peer-address>\n"
    "                <ip>203.0.113.7</ip>\n"
    "              </peer-address>\n"
    "            </entry>\n"
    "            <entry name=\"gw-branch-dyn\">\n"
    "              <authentication>\n"
    "                <pre-shared-key>\n"
    "                  <key>-AQ==YnJhbmNoLXNlY3JldA==</key>\n"
    "                </pre-shared-key>\n"
    "              </authentication>\n"
    "              <protocol>\n"
    "                <ikev1>\n"
    "                  <dpd>\n"
    "                    <enable>yes</enable>\n"
    "                    <interval>5</interval>\n"
    "                    <retry>5</retry>\n"
    "                  </dpd>\n"
    "                  <ike-crypto-profile>default</ike-crypto-profile>\n"
    "                  <exchange-mode>aggressive</exchange-mode>\n"
    "                </ikev1>\n"
    "                <ikev2>\n"
    "                  <dpd>\n"
    "                    <enable>yes</enable>\n"
    "                  </dpd>\n"
    "                  <ike-crypto-profile>aws-ike</ike-crypto-profile>\n"
    "                </ikev2>\n"
    "                <version>ikev1</version>\n"
    "              </protocol>\n"
    "              <local-address>\n"
    "                <interface>ethernet1/2</interface>\n"
    "              </local-address>\n"
    "              <protocol-common>\n"
    "                <nat-traversal>\n"
    "                  <enable>yes</enable>\n"
    "                </nat-traversal>\n"
    "                <passive-mode>yes</passive-mode>\n"
    "              </protocol-common>\n"
    "              <peer-address>\n"
    "                <dynamic/>\n"
    "              </peer-address>\n"
    "              <peer-id>\n"
    "                <id>branch.example.net</id>\n"
    "                <type>fqdn</type>\n"
    "              </peer-id>\n"
    "            </entry>\n"
    "          </gateway>\n"
    "        </ike>\n"
    "        <tunnel>\n"
    "          <ipsec>\n"
    "            <entry name=\"tun-aws-1\">\n"
    "              <auto-key>\n"
    "                <ike-gateway>\n"
    "                  <entry name=\"gw-aws-1\"/>\n"
    "                </ike-gateway>\n"
    "                <proxy-id>\n"
    "                  <entry name=\"any\">\n"
    "                    <protocol>\n"
    "                      <any/>\n"
    "                    </protocol>\n"
    "                    <local>10.0.0.0/16</local>\n"
    "                    <remote>172.31.0.0/16</remote>\n"
    "                  </entry>\n"
    "                </proxy-id>\n"
    "                <ipsec-crypto-profile>aws-ipsec</ipsec-crypto-profile>\n"
    "              </auto-key>\n"
    "              <tunnel-monitor>\n"
    "                <enable>yes</enable>\n"
    "                <destination-ip>169.254.10.1</destination-ip>\n"
    "                <tunnel-monitor-profile>failover</tunnel-monitor-profile>\n"
    "              </tunnel-monitor>\n"
    "              <tunnel-interface>tunnel.1</tunnel-interface>\n"
    "              <anti-replay>yes</anti-replay>\n"
    "              <copy-tos>no</copy-tos>\n"
    "            </entry>\n"
    "            <entry name=\"tun-branch\">\n"
    "              <auto-key>\n"
    "                <ike-gateway>\n"
    "                  <entry name=\"gw-branch-dyn\"/>\n"
    "                </ike-gateway>\n"
    "                <ipsec-crypto-profile>default</ipsec-crypto-profile>\n"
    "              </auto-key>\n"
    "              <tunnel-interface>tunnel.2</tunnel-interface>\n"
    "            </entry>\n"
    "          </ipsec>\n"
    "        </tunnel>\n"
    "      </network>\n"
    "      <deviceconfig>\n"
    "        <system>\n"
    "          <ip-address>192.0.2.10</ip-address>\n"
    "          <netmask>255.255.255.0</netmask>\n"
    "          <default-gateway>192.0.2.1</default-gateway>\n"
    "          <hostname>fw-dc1</hostname>\n"
    "          <timezone>Europe/Berlin</timezone>\n"
    "          <domain>example.net</domain>\n"
    "          <ntp-servers>\n"
    "            <primary-ntp-server>\n"
    "              <ntp-server-address>pool.ntp.org</ntp-server-address>\n"
    "            </primary-ntp-server>\n"
    "          </ntp-servers>\n"
    "        </system>\n"
    "        <setting>\n"
    "          <config>\n"
    "            <rematch>yes</rematch>\n"
    "          </config>\n"
    "        </setting>\n"
    "      </deviceconfig>\n"
    "      <vsys>\n"
    "        <entry name=\"vsys1\">\n"
    "          <zone>\n"
    "            <entry name=\"vpn\">\n"
    "              <network>\n"
    "                <layer3>\n"
    "                  <member>tunnel.1</member>\n"
    "                  <member>tunnel.2</member>\n"
    "                </layer3>\n"
    "              </network>\n"
    "            </entry>\n"
    "          </zone>\n"
    "          <import>\n"
    "            <network>\n"
    "              <interface>\n"
    "                <member>ethernet1/1</member>\n"
    "              </interface>\n"
    "            </network>\n"
    "          </import>\n"
    "        </entry>\n"
    "      </vsys>\n"
    "    </entry>\n"
    "  </devices>\n"
    "</config>\n";

/* A Panorama config (PAN-OS 10.2): its own system settings, a template and a template stack
 * that each hold a firewall config (pan-os-codegen locations "template" and "template-stack"). */
static const char pano_config[] =
    "<?xml version=\"1.0\"?>\n"
    "<config version=\"10.2.0\" urldb=\"paloaltonetworks\" detail-version=\"10.2.4\">\n"
    "  <mgt-config>\n"
    "    <devices>\n"
    "      <entry name=\"007051000123456\">\n"
    "        <auto-push>yes</auto-push>\n"
    "      </entry>\n"
    "    </devices>\n"
    "  </mgt-config>\n"
    "  <devices>\n"
    "    <entry name=\"localhost.localdomain\">\n"
    "      <deviceconfig>\n"
    "        <system>\n"
    "          <hostname>panorama-1</hostname>\n"
    "          <timezone>UTC</timezone>\n"
    "        </system>\n"
    "      </deviceconfig>\n"
    "      <template>\n"
    "        <entry name=\"Branch-T1\">\n"
    "          <settings>\n"
    "            <default-vsys>vsys1</default-vsys>\n"
    "          </settings>\n"
    "          <config>\n"
    "            <devices>\n"
    "              <entry name=\"localhost.localdomain\">\n"
    "                <deviceconfig>\n"
    "                  <system>\n"
    "                    <hostname>branch-fw</hostname>\n"
    "                    <timezone>America/New_York</timezone>\n"
    "                  </system>\n"
    "                </deviceconfig>\n"
    "                <network>\n"
    "                  <ike>\n"
    "                    <gateway>\n"
    "                      <entry name=\"gw-hq\">\n"
    "                        <peer-address>\n"
    "                          <fqdn>vpn.hq.example.com</fqdn>\n"
    "                        </peer-address>\n"
    "                        <local-address>\n"
    "                          <interface>ethernet1/1</interface>\n"
    "                          <floating-ip>198.51.100.9</floating-ip>\n"
    "                        </local-address>\n"
    "                        <protocol>\n"
    "                          <ikev1>\n"
    "                            <ike-crypto-profile>legacy</ike-crypto-profile>\n"
    "                          </ikev1>\n"
    "                          <version>ikev2-preferred</version>\n"
    "                        </protocol>\n"
    "                      </entry>\n"
    "                    </gateway>\n"
    "                  </ike>\n"
    "                  <tunnel>\n"
    "                    <ipsec>\n"
    "                      <entry name=\"tun-hq\">\n"
    "                        <auto-key>\n"
    "                          <ike-gateway>\n"
    "                            <entry name=\"gw-hq\"/>\n"
    "                            <entry name=\"gw-hq-backup\"/>\n"
    "                          </ike-gateway>\n"
    "                          <ipsec-crypto-profile>default</ipsec-crypto-profile>\n"
    "                        </auto-key>\n"
    "                        <tunnel-monitor>\n"
    "                          <enable>no</enable>\n"
    "                        </tunnel-monitor>\n"
    "                        <tunnel-interface>tunnel.10</tunnel-interface>\n"
    "                      </entry>\n"
    "                    </ipsec>\n"
    "                  </tunnel>\n"
    "                </network>\n"
    "                <vsys>\n"
    "                  <entry name=\"vsys1\"/>\n"
    "                </vsys>\n"
    "              </entry>\n"
    "            </devices>\n"
    "          </config>\n"
    "        </entry>\n"
    "      </template>\n"
    "      <template-stack>\n"
    "        <entry name=\"Branch-Stack\">\n"
    "          <templates>\n"
    "            <member>Branch-T1</member>\n"
    "          </templates>\n"
    "          <config>\n"
    "            <devices>\n"
    "              <entry name=\"localhost.localdomain\">\n"
    "                <network>\n"
    "                  <ike>\n"
    "                    <gateway>\n"
    "                      <entry name=\"gw-stack\">\n"
    "                        <peer-address>\n"
    "                          <ip>192.0.2.77</ip>\n"
    "                        </peer-address>\n"
    "                        <protocol>\n"
    "                          <ikev2>\n"
    "                            <dpd>\n"
    "                              <enable>no</enable>\n"
    "                            </dpd>\n"
    "                          </ikev2>\n"
    "                          <version>ikev2</version>\n"
    "                        </protocol>\n"
    "                      </entry>\n"
    "                    </gateway>\n"
    "                  </ike>\n"
    "                </network>\n"
    "              </entry>\n"
    "            </devices>\n"
    "          </config>\n"
    "        </entry>\n"
    "      </template-stack>\n"
    "    </entry>\n"
    "  </devices>\n"
    "</config>\n";

/* ---- helpers ------------------------------------------------------------------------------ */

/* Runs the parser; checks parsed + unparsed = units and at most one unparsed record (the XML
 * error line; lines after it are counted, not stored). */
static int parse_rc(struct memsink *ms, const char *text, size_t len, size_t chunk)
{
    struct ms_str_stream ss;
    struct ikm_stream st = ms_stream(&ss, text, len, chunk);
    struct ikm_sink sink = memsink_sink(ms);
    int r = runconfig_parse_stream(st, &sink, &ms->st);
    ck_assert_int_eq(ms->st.parsed + ms->st.unparsed, ms->st.units);
    ck_assert_uint_le(ms->n_un, 1);
    ck_assert_int_eq(ms->st.bytes, (int64_t)len);
    return r;
}

/* 1-based line of the first occurrence of needle in text (the test's own count). */
static int64_t line_of(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    ck_assert_ptr_nonnull(at);
    int64_t line = 1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    return line;
}

static int64_t lines_in(const char *text, size_t len)
{
    int64_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    return n + (len > 0 && text[len - 1] != '\n');
}

static const struct ms_gateway *gw(const struct memsink *ms, const char *name)
{
    for (size_t i = 0; i < ms->n_gws; i++)
        if (ms->gws[i].name && strcmp(ms->gws[i].name, name) == 0)
            return &ms->gws[i];
    ck_abort_msg("no gateway %s", name);
    return NULL;
}

static const struct ms_tunnel *tn(const struct memsink *ms, const char *name)
{
    for (size_t i = 0; i < ms->n_tns; i++)
        if (ms->tns[i].name && strcmp(ms->tns[i].name, name) == 0)
            return &ms->tns[i];
    ck_abort_msg("no tunnel %s", name);
    return NULL;
}

static size_t facts_with_key(const struct memsink *ms, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < ms->n_facts; i++)
        n += strcmp(ms->facts[i].key, key) == 0;
    return n;
}

static const struct ms_diag *diag_with_check(const struct memsink *ms, const char *check)
{
    for (size_t i = 0; i < ms->n_dg; i++)
        if (strcmp(ms->dg[i].check, check) == 0)
            return &ms->dg[i];
    return NULL;
}

static size_t diags_with_check(const struct memsink *ms, const char *check)
{
    size_t n = 0;
    for (size_t i = 0; i < ms->n_dg; i++)
        n += strcmp(ms->dg[i].check, check) == 0;
    return n;
}

/* A copy of text with the first `from` replaced by `to` (malloc'd). */
static char *replaced(const char *text, const char *from, const char *to, size_t *len)
{
    const char *at = strstr(text, from);
    ck_assert_ptr_nonnull(at);
    size_t a = (size_t)(at - text), fl = strlen(from), tl = strlen(to), rest = strlen(at + fl);
    char *out = malloc(a + tl + rest + 1);
    ck_assert_ptr_nonnull(out);
    memcpy(out, text, a);
    memcpy(out + a, to, tl);
    memcpy(out + a + tl, at + fl, rest + 1);
    *len = a + tl + rest;
    return out;
}

/* ---- well-formed configs ------------------------------------------------------------------ */

static void check_fw_config(const struct memsink *ms)
{
    ck_assert_int_eq(ms->st.units, lines_in(S(fw_config)));
    ck_assert_int_eq(ms->st.parsed, ms->st.units);
    ck_assert_int_eq(ms->st.unparsed, 0);
    ck_assert_uint_eq(ms->n_dg, 0);

    ck_assert_str_eq(ms_fact(ms, "hostname"), "fw-dc1");
    ck_assert_str_eq(ms_fact(ms, "timezone"), "Europe/Berlin");
    ck_assert_str_eq(ms_fact(ms, "domain"), "example.net");
    ck_assert_str_eq(ms_fact(ms, "ip-address"), "192.0.2.10");
    ck_assert_str_eq(ms_fact(ms, "config-version"), "10.1.0");
    ck_assert_str_eq(ms_fact(ms, "config-detail-version"), "10.1.9");
    ck_assert_uint_eq(ms->n_facts, 6);
    for (size_t i = 0; i < ms->n_facts; i++) {
        const struct ms_fact *f = &ms->facts[i];
        if (strcmp(f->key, "hostname") == 0)
            ck_assert_int_eq(f->line, line_of(fw_config, "<hostname>"));
        if (strcmp(f->key, "config-version") == 0)
            ck_assert_int_eq(f->line, 2);
    }

    ck_assert_uint_eq(ms->n_gws, 2);
    const struct ms_gateway *a = gw(ms, "gw-aws-1");
    ck_assert_int_eq(a->g.line, line_of(fw_config, "<entry name=\"gw-aws-1\">"));
    ck_assert_ptr_null(a->vsys);
    ck_assert_str_eq(a->peer_ip, "203.0.113.7");
    ck_assert_ptr_null(a->peer_fqdn);
    ck_assert_int_eq(a->g.peer_dynamic, 0);
    ck_assert_str_eq(a->local_interface, "ethernet1/1");
    ck_assert_str_eq(a->local_ip, "198.51.100.2/30");
    ck_assert_str_eq(a->ike_version, "ikev2");
    ck_assert_str_eq(a->ike_crypto_profile, "aws-ike");
    ck_assert_int_eq(a->g.liveness_enabled, 1);
    ck_assert_int_eq(a->g.liveness_interval_s, 10);
    ck_assert_int_eq(a->g.dpd_enabled, 1);
    ck_assert_int_eq(a->g.dpd_interval_s, -1); /* not written: the schema default applies */
    ck_assert_int_eq(a->g.dpd_retry, -1);
    ck_assert_int_eq(a->g.nat_traversal, 0);
    ck_assert_int_eq(a->g.passive_mode, 0);

    const struct ms_gateway *b = gw(ms, "gw-branch-dyn");
    ck_assert_int_eq(b->g.line, line_of(fw_config, "<entry name=\"gw-branch-dyn\">"));
    ck_assert_ptr_null(b->peer_ip);
    ck_assert_ptr_null(b->peer_fqdn);
    ck_assert_int_eq(b->g.peer_dynamic, 1);
    ck_assert_str_eq(b->local_interface, "ethernet1/2");
    ck_assert_ptr_null(b->local_ip);
    ck_assert_str_eq(b->ike_version, "ikev1");
    ck_assert_str_eq(b->ike_crypto_profile, "default"); /* the IKEv1 one, not aws-ike */
    ck_assert_int_eq(b->g.liveness_enabled, 1);
    ck_assert_int_eq(b->g.liveness_interval_s, -1);
    ck_assert_int_eq(b->g.dpd_enabled, 1);
    ck_assert_int_eq(b->g.dpd_interval_s, 5);
    ck_assert_int_eq(b->g.dpd_retry, 5);
    ck_assert_int_eq(b->g.nat_traversal, 1);
    ck_assert_int_eq(b->g.passive_mode, 1);

    ck_assert_uint_eq(ms->n_tns, 2);
    const struct ms_tunnel *t = tn(ms, "tun-aws-1");
    ck_assert_int_eq(t->t.line, line_of(fw_config, "<entry name=\"tun-aws-1\">"));
    ck_assert_ptr_null(t->vsys);
    ck_assert_str_eq(t->gateway, "gw-aws-1");
    ck_assert_str_eq(t->tunnel_interface, "tunnel.1");
    ck_assert_str_eq(t->ipsec_crypto_profile, "aws-ipsec");
    ck_assert_int_eq(t->t.monitor_enabled, 1);
    ck_assert_str_eq(t->monitor_dest, "169.254.10.1");
    ck_assert_str_eq(t->monitor_profile, "failover");

    const struct ms_tunnel *u = tn(ms, "tun-branch");
    ck_assert_int_eq(u->t.line, line_of(fw_config, "<entry name=\"tun-branch\">"));
    ck_assert_str_eq(u->gateway, "gw-branch-dyn");
    ck_assert_str_eq(u->tunnel_interface, "tunnel.2");
    ck_assert_str_eq(u->ipsec_crypto_profile, "default");
    ck_assert_int_eq(u->t.monitor_enabled, -1);
    ck_assert_ptr_null(u->monitor_dest);
    ck_assert_ptr_null(u->monitor_profile);
    ck_assert_uint_eq(facts_with_key(ms, "tunnel-gateway-count"), 0);
}

START_TEST(firewall_config)
{
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, S(fw_config), 0), 0);
    ms_check_accounting(&ms);
    check_fw_config(&ms);
    memsink_free(&ms);
}
END_TEST

START_TEST(firewall_config_any_chunking)
{
    /* expat is fed whatever the stream returns: tokens split at every byte must not matter */
    static const size_t chunks[] = {1, 2, 7, 61, 4096};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        struct memsink ms = {0};
        ck_assert_int_eq(parse_rc(&ms, S(fw_config), chunks[i]), 0);
        check_fw_config(&ms);
        memsink_free(&ms);
    }
}
END_TEST

START_TEST(firewall_config_crlf)
{
    size_t n = sizeof fw_config - 1, k = 0;
    char *crlf = malloc(2 * n);
    ck_assert_ptr_nonnull(crlf);
    for (size_t i = 0; i < n; i++) {
        if (fw_config[i] == '\n')
            crlf[k++] = '\r';
        crlf[k++] = fw_config[i];
    }
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, crlf, k, 100), 0);
    ck_assert_int_eq(ms.st.units, lines_in(S(fw_config)));
    ck_assert_int_eq(gw(&ms, "gw-branch-dyn")->g.line, line_of(fw_config, "<entry name=\"gw-branch-dyn\">"));
    ck_assert_str_eq(ms_fact(&ms, "hostname"), "fw-dc1");
    memsink_free(&ms);
    free(crlf);
}
END_TEST

START_TEST(panorama_template_and_stack)
{
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, S(pano_config), 0), 0);
    ms_check_accounting(&ms);
    ck_assert_int_eq(ms.st.parsed, lines_in(S(pano_config)));
    ck_assert_uint_eq(ms.n_dg, 0);
    /* Panorama's own settings; the template's hostname and zone are the template's */
    ck_assert_str_eq(ms_fact(&ms, "hostname"), "panorama-1");
    ck_assert_str_eq(ms_fact(&ms, "timezone"), "UTC");
    ck_assert_uint_eq(facts_with_key(&ms, "hostname"), 1);
    ck_assert_uint_eq(facts_with_key(&ms, "timezone"), 1);
    ck_assert_str_eq(ms_fact(&ms, "config-detail-version"), "10.2.4");

    ck_assert_uint_eq(ms.n_gws, 2);
    const struct ms_gateway *h = gw(&ms, "gw-hq");
    ck_assert_int_eq(h->g.line, line_of(pano_config, "<entry name=\"gw-hq\">"));
    ck_assert_str_eq(h->vsys, "template:Branch-T1");
    ck_assert_ptr_null(h->peer_ip);
    ck_assert_str_eq(h->peer_fqdn, "vpn.hq.example.com");
    ck_assert_int_eq(h->g.peer_dynamic, 0);
    ck_assert_str_eq(h->local_interface, "ethernet1/1");
    ck_assert_str_eq(h->local_ip, "198.51.100.9"); /* floating-ip (HA active/active) */
    ck_assert_str_eq(h->ike_version, "ikev2-preferred");
    ck_assert_str_eq(h->ike_crypto_profile, "legacy"); /* no IKEv2 profile: the IKEv1 fallback */
    ck_assert_int_eq(h->g.liveness_enabled, -1);
    ck_assert_int_eq(h->g.dpd_enabled, -1);
    ck_assert_int_eq(h->g.nat_traversal, -1);
    ck_assert_int_eq(h->g.passive_mode, -1);

    const struct ms_gateway *s = gw(&ms, "gw-stack");
    ck_assert_str_eq(s->vsys, "template-stack:Branch-Stack");
    ck_assert_str_eq(s->peer_ip, "192.0.2.77");
    ck_assert_str_eq(s->ike_version, "ikev2");
    ck_assert_ptr_null(s->ike_crypto_profile);
    ck_assert_int_eq(s->g.liveness_enabled, 0);

    ck_assert_uint_eq(ms.n_tns, 1);
    const struct ms_tunnel *t = tn(&ms, "tun-hq");
    int64_t tline = line_of(pano_config, "<entry name=\"tun-hq\">");
    ck_assert_int_eq(t->t.line, tline);
    ck_assert_str_eq(t->vsys, "template:Branch-T1");
    ck_assert_str_eq(t->gateway, "gw-hq"); /* the first of two */
    ck_assert_str_eq(t->tunnel_interface, "tunnel.10");
    ck_assert_int_eq(t->t.monitor_enabled, 0);
    ck_assert_uint_eq(facts_with_key(&ms, "tunnel-gateway-count"), 1);
    ck_assert_str_eq(ms_fact(&ms, "tunnel-gateway-count"), "2");
    for (size_t i = 0; i < ms.n_facts; i++)
        if (strcmp(ms.facts[i].key, "tunnel-gateway-count") == 0)
            ck_assert_int_eq(ms.facts[i].line, tline);
    memsink_free(&ms);
}
END_TEST

START_TEST(panos_61_gateway_without_version)
{
    /* before PAN-OS 7.0 there is no protocol/version and no ikev2 (pango container_v1) */
    static const char cfg[] =
        "<config version=\"6.1.0\" urldb=\"paloaltonetworks\">\n"
        "  <devices>\n"
        "    <entry name=\"localhost.localdomain\">\n"
        "      <network>\n"
        "        <ike>\n"
        "          <gateway>\n"
        "            <entry name=\"gw-old\">\n"
        "              <protocol>\n"
        "                <ikev1>\n"
        "                  <exchange-mode>main</exchange-mode>\n"
        "                  <ike-crypto-profile>default</ike-crypto-profile>\n"
        "                  <dpd>\n"
        "                    <enable>yes</enable>\n"
        "                    <interval>2</interval>\n"
        "                    <retry>5</retry>\n"
        "                  </dpd>\n"
        "                </ikev1>\n"
        "              </protocol>\n"
        "              <protocol-common>\n"
        "                <nat-traversal>\n"
        "                  <enable>no</enable>\n"
        "                </nat-traversal>\n"
        "                <passive-mode>no</passive-mode>\n"
        "              </protocol-common>\n"
        "              <local-address>\n"
        "                <interface>ethernet1/3</interface>\n"
        "              </local-address>\n"
        "              <peer-address>\n"
        "                <ip>203.0.113.99</ip>\n"
        "              </peer-address>\n"
        "            </entry>\n"
        "          </gateway>\n"
        "        </ike>\n"
        "      </network>\n"
        "    </entry>\n"
        "  </devices>\n"
        "</config>\n";
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, S(cfg), 0), 0);
    ms_check_accounting(&ms);
    ck_assert_uint_eq(ms.n_gws, 1);
    const struct ms_gateway *g = &ms.gws[0];
    ck_assert_str_eq(g->name, "gw-old");
    ck_assert_int_eq(g->g.line, 7);
    ck_assert_ptr_null(g->ike_version);
    ck_assert_str_eq(g->ike_crypto_profile, "default");
    ck_assert_int_eq(g->g.dpd_enabled, 1);
    ck_assert_int_eq(g->g.dpd_interval_s, 2);
    ck_assert_int_eq(g->g.dpd_retry, 5);
    ck_assert_int_eq(g->g.liveness_enabled, -1);
    ck_assert_str_eq(g->peer_ip, "203.0.113.99");
    ck_assert_str_eq(ms_fact(&ms, "config-version"), "6.1.0");
    ck_assert_ptr_null(ms_fact(&ms, "config-detail-version"));
    memsink_free(&ms);
}
END_TEST

START_TEST(api_export_on_one_line)
{
    /* `type=export&category=configuration` or `show config running` through the API: one line,
     * wrapped in <response><result> */
    static const char cfg[] =
        "<response status=\"success\"><result><config version=\"11.0.0\" urldb=\"paloaltonetworks\" "
        "detail-version=\"11.0.3\"><devices><entry name=\"localhost.localdomain\"><deviceconfig><system>"
        "<hostname>fw-api</hostname><timezone>Asia/Tokyo</timezone></system></deviceconfig><network><ike>"
        "<gateway><entry name=\"gw1\"><peer-address><ip>192.0.2.1</ip></peer-address><protocol>"
        "<version>ikev2</version><ikev2><dpd><enable>yes</enable><interval>5</interval></dpd></ikev2>"
        "</protocol></entry></gateway></ike><tunnel><ipsec><entry name=\"t1\"><auto-key><ike-gateway>"
        "<entry name=\"gw1\"/></ike-gateway></auto-key><tunnel-interface>tunnel.3</tunnel-interface>"
        "</entry></ipsec></tunnel></network></entry></devices></config></result></response>";
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, S(cfg), 13), 0);
    ms_check_accounting(&ms);
    ck_assert_int_eq(ms.st.units, 1);
    ck_assert_int_eq(ms.st.parsed, 1);
    ck_assert_str_eq(ms_fact(&ms, "hostname"), "fw-api");
    ck_assert_str_eq(ms_fact(&ms, "timezone"), "Asia/Tokyo");
    ck_assert_str_eq(ms_fact(&ms, "config-version"), "11.0.0");
    ck_assert_uint_eq(ms.n_gws, 1);
    ck_assert_int_eq(ms.gws[0].g.line, 1);
    ck_assert_int_eq(ms.gws[0].g.liveness_interval_s, 5);
    ck_assert_uint_eq(ms.n_tns, 1);
    ck_assert_str_eq(ms.tns[0].gateway, "gw1");
    ck_assert_str_eq(ms.tns[0].tunnel_interface, "tunnel.3");
    memsink_free(&ms);
}
END_TEST

START_TEST(values_not_understood)
{
    static const char cfg[] =
        "<config>\n"
        "<devices><entry name=\"localhost.localdomain\"><network><ike><gateway>\n"
        "<entry name=\"gw-bad\">\n"
        "<protocol><ikev1><dpd><enable>maybe</enable><interval>ten</interval><retry>-3</retry></dpd></ikev1>\n"
        "<ikev2><dpd><interval>  7  </interval></dpd></ikev2></protocol>\n"
        "<peer-address><ip></ip></peer-address>\n"
        "</entry>\n"
        "<entry>\n"
        "</entry>\n"
        "</gateway></ike></network></entry></devices>\n"
        "</config>\n";
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, S(cfg), 0), 0);
    ms_check_accounting(&ms);
    ck_assert_uint_eq(ms.n_gws, 2);
    const struct ms_gateway *g = &ms.gws[0];
    ck_assert_str_eq(g->name, "gw-bad");
    ck_assert_int_eq(g->g.dpd_enabled, -1);
    ck_assert_int_eq(g->g.dpd_interval_s, -1);
    ck_assert_int_eq(g->g.dpd_retry, -1);
    ck_assert_int_eq(g->g.liveness_interval_s, 7); /* surrounding blanks are not the value */
    ck_assert_ptr_null(g->peer_ip);                /* an empty element configures nothing */
    ck_assert_int_eq(g->g.peer_dynamic, -1);
    ck_assert_uint_eq(diags_with_check(&ms, "value"), 3);
    const struct ms_diag *d = diag_with_check(&ms, "value");
    ck_assert_int_eq(d->line, 4);
    ck_assert_str_eq(d->message, "line 4: protocol/ikev1/dpd/enable of gateway 'gw-bad' is 'maybe', expected yes or "
                                 "no; taken as not configured");
    /* an entry without a name is still a gateway, and said */
    ck_assert_ptr_null(ms.gws[1].name);
    ck_assert_int_eq(ms.gws[1].g.line, 8);
    ck_assert_uint_eq(diags_with_check(&ms, "entry"), 1);
    memsink_free(&ms);
}
END_TEST

START_TEST(diagnostics_are_capped)
{
    char *cfg = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&cfg, &len);
    ck_assert_ptr_nonnull(f);
    fputs("<config><devices><entry name=\"localhost.localdomain\"><network><ike><gateway>\n", f);
    for (int i = 0; i < 30; i++)
        fprintf(f, "<entry name=\"g%d\"><protocol><ikev2><dpd><interval>x</interval></dpd></ikev2></protocol></entry>\n", i);
    fputs("</gateway></ike></network></entry></devices></config>\n", f);
    fclose(f);
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, cfg, len, 0), 0);
    ck_assert_uint_eq(ms.n_gws, 30);
    ck_assert_uint_eq(diags_with_check(&ms, "value"), 21); /* 20 and a summary */
    ck_assert_str_eq(ms.dg[ms.n_dg - 1].message, "10 more value problems not listed");
    ck_assert_int_eq(ms.st.warnings, 30);
    memsink_free(&ms);
    free(cfg);
}
END_TEST

/* ---- hostile input ------------------------------------------------------------------------ */

START_TEST(truncated_config)
{
    /* cut inside the second tunnel, at a line end: the error is found at the end of the file */
    const char *cut = strstr(fw_config, "                <ike-gateway>\n                  <entry name=\"gw-branch-dyn\"/>");
    ck_assert_ptr_nonnull(cut);
    size_t len = (size_t)(cut - fw_config);
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, fw_config, len, 0), 1);
    ms_check_accounting(&ms);
    int64_t units = lines_in(fw_config, len);
    ck_assert_int_eq(ms.st.units, units);
    ck_assert_int_eq(ms.st.parsed, units - 1);
    ck_assert_int_eq(ms.st.unparsed, 1);
    ck_assert_int_eq(ms.un[0].line, units);
    ck_assert_str_eq(ms.un[0].reason, "XML error");
    ck_assert_str_eq(ms.un[0].text, "              <auto-key>");
    /* everything before the cut is kept; the cut tunnel is not */
    ck_assert_uint_eq(ms.n_gws, 2);
    ck_assert_uint_eq(ms.n_tns, 1);
    ck_assert_str_eq(ms.tns[0].name, "tun-aws-1");
    const struct ms_diag *d = diag_with_check(&ms, "xml");
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->severity, IKM_DIAG_ERROR);
    ck_assert_int_eq(d->line, units);
    char want[128];
    snprintf(want, sizeof want, "end of file after line %lld: no element found", (long long)units);
    ck_assert_str_eq(d->message, want);
    d = diag_with_check(&ms, "entry");
    ck_assert_ptr_nonnull(d);
    snprintf(want, sizeof want, "line %lld: tunnel 'tun-branch' is cut by the error and not kept",
             (long long)line_of(fw_config, "<entry name=\"tun-branch\">"));
    ck_assert_str_eq(d->message, want);
    memsink_free(&ms);
}
END_TEST

START_TEST(truncated_inside_a_tag)
{
    const char *cut = strstr(fw_config, "<hostname>fw-dc1");
    ck_assert_ptr_nonnull(cut);
    size_t len = (size_t)(cut - fw_config) + 6; /* "<hostn" */
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, fw_config, len, 5), 1);
    ms_check_accounting(&ms);
    int64_t units = lines_in(fw_config, len);
    ck_assert_int_eq(ms.un[0].line, units);
    ck_assert_str_eq(ms.un[0].text, "          <hostn");
    ck_assert_uint_eq(ms.n_gws, 2);
    ck_assert_uint_eq(ms.n_tns, 2);
    ck_assert_str_eq(ms_fact(&ms, "ip-address"), "192.0.2.10"); /* before the cut */
    ck_assert_ptr_null(ms_fact(&ms, "hostname"));
    const struct ms_diag *d = diag_with_check(&ms, "xml");
    ck_assert_ptr_nonnull(d);
    char want[128];
    snprintf(want, sizeof want, "line %lld, column 11: unclosed token", (long long)units);
    ck_assert_str_eq(d->message, want);
    memsink_free(&ms);
}
END_TEST

START_TEST(malformed_in_the_middle)
{
    size_t len;
    char *bad = replaced(fw_config, "                <dynamic/>\n              </peer-address>",
                         "                <dynamic/>\n              </peer-adress>", &len);
    int64_t err_line = line_of(bad, "</peer-adress>");
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, bad, len, 0), 1);
    int64_t units = lines_in(bad, len);
    ck_assert_int_eq(ms.st.units, units);
    ck_assert_int_eq(ms.st.parsed, err_line - 1);
    ck_assert_int_eq(ms.st.unparsed, units - err_line + 1); /* the error line and all after it */
    ck_assert_uint_eq(ms.n_un, 1);
    ck_assert_int_eq(ms.un[0].line, err_line);
    ck_assert_str_eq(ms.un[0].reason, "XML error");
    ck_assert_str_eq(ms.un[0].text, "              </peer-adress>");
    ck_assert_uint_eq(ms.n_gws, 1);
    ck_assert_str_eq(ms.gws[0].name, "gw-aws-1");
    ck_assert_uint_eq(ms.n_tns, 0);
    ck_assert_uint_eq(ms.n_facts, 2); /* the config attributes only */
    const struct ms_diag *d = diag_with_check(&ms, "xml");
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->line, err_line);
    char want[128];
    snprintf(want, sizeof want, "line %lld, column 17: mismatched tag", (long long)err_line);
    ck_assert_str_eq(d->message, want);
    ck_assert_int_eq(ms.st.errors, 1);
    memsink_free(&ms);
    free(bad);
}
END_TEST

START_TEST(billion_laughs_refused)
{
    static const char lol[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE config [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n"
        "<config><devices><entry name=\"localhost.localdomain\"><deviceconfig><system>\n"
        "<hostname>&lol9;</hostname>\n"
        "</system></deviceconfig></entry></devices></config>\n";
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, S(lol), 0), 1);
    ck_assert_int_eq(ms.st.units, 16);
    ck_assert_int_eq(ms.st.parsed, 1);
    ck_assert_int_eq(ms.st.unparsed, 15);
    ck_assert_int_eq(ms.un[0].line, 2);
    ck_assert_str_eq(ms.un[0].text, "<!DOCTYPE config [");
    ck_assert_uint_eq(ms.n_facts, 0);
    const struct ms_diag *d = diag_with_check(&ms, "doctype");
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->line, 2);
    ck_assert_str_eq(d->message, "line 2, column 18: DOCTYPE declaration (<!DOCTYPE config>) refused: a PAN-OS "
                                 "configuration has none, and entities are not expanded");
    memsink_free(&ms);
}
END_TEST

START_TEST(external_entity_refused)
{
    static const char xxe[] = "<?xml version=\"1.0\"?>\n"
                              "<!DOCTYPE config SYSTEM \"file:///etc/passwd\">\n"
                              "<config>&xxe;</config>\n";
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, S(xxe), 0), 1);
    ck_assert_ptr_nonnull(diag_with_check(&ms, "doctype"));
    ck_assert_int_eq(ms.un[0].line, 2);
    memsink_free(&ms);
}
END_TEST

START_TEST(nesting_bomb)
{
    size_t depth = 100000, len = 9 + depth * 3 + 1;
    char *bomb = malloc(len);
    ck_assert_ptr_nonnull(bomb);
    memcpy(bomb, "<config>\n", 9);
    for (size_t i = 0; i < depth; i++)
        memcpy(bomb + 9 + 3 * i, "<a>", 3);
    bomb[len - 1] = '\n';
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, bomb, len, 0), 1);
    ms_check_accounting(&ms);
    ck_assert_int_eq(ms.st.units, 2);
    ck_assert_int_eq(ms.st.parsed, 1);
    ck_assert_int_eq(ms.un[0].line, 2);
    ck_assert_uint_eq(ms.un[0].text_len, RUNCONFIG_VALUE_MAX); /* a window of the long line */
    const struct ms_diag *d = diag_with_check(&ms, "depth");
    ck_assert_ptr_nonnull(d);
    /* <config> is element 1, so the 256th <a> is the 257th element: column 1 + 255 * 3 */
    ck_assert_str_eq(d->message, "line 2, column 766: elements nested deeper than 256");
    memsink_free(&ms);
    free(bomb);
}
END_TEST

START_TEST(huge_attribute_and_text)
{
    size_t big = (size_t)2 << 20;
    char *cfg = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&cfg, &len);
    ck_assert_ptr_nonnull(f);
    fputs("<config version=\"10.1.0\">\n<devices><entry name=\"localhost.localdomain\">\n"
          "<deviceconfig><system><hostname>", f);
    fputs("fw-", f); /* 3 bytes: the 4096-byte cut then falls after the lead byte of an é */
    for (size_t i = 0; i < big; i++)
        fputc(i % 3 == 0 ? '\xc3' : i % 3 == 1 ? '\xa9' : 'h', f);
    fputs("</hostname></system></deviceconfig>\n<network><ike><gateway>\n<entry name=\"", f);
    for (size_t i = 0; i < big; i++)
        fputc('A', f);
    fputs("\"><peer-address><ip>192.0.2.1</ip></peer-address></entry>\n</gateway></ike></network>\n"
          "</entry></devices></config>\n", f);
    fclose(f);
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, cfg, len, 0), 0);
    ms_check_accounting(&ms);
    ck_assert_uint_eq(ms.n_gws, 1);
    ck_assert_uint_eq(strlen(ms.gws[0].name), RUNCONFIG_VALUE_MAX);
    ck_assert_str_eq(ms.gws[0].peer_ip, "192.0.2.1");
    const char *h = ms_fact(&ms, "hostname");
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(strlen(h), RUNCONFIG_VALUE_MAX - 1); /* no half character at the cut */
    ck_assert_int_eq((unsigned char)h[RUNCONFIG_VALUE_MAX - 2], 'h');
    ck_assert_uint_eq(diags_with_check(&ms, "value-length"), 2);
    ck_assert_str_eq(diag_with_check(&ms, "value-length")->message,
                     "line 3: hostname is 2097155 bytes; the first 4096 are kept");
    memsink_free(&ms);
    free(cfg);
}
END_TEST

/* A stream that makes one attribute of `n` bytes without holding it in memory. */
struct gen_stream {
    size_t n, pos;
};
static const char gen_head[] = "<config><devices a=\"";

static ssize_t gen_read(void *ctx, void *buf, size_t cap)
{
    struct gen_stream *g = ctx;
    size_t total = sizeof gen_head - 1 + g->n, k = 0;
    char *b = buf;
    while (k < cap && g->pos < total) {
        b[k++] = g->pos < sizeof gen_head - 1 ? gen_head[g->pos] : 'x';
        g->pos++;
    }
    return (ssize_t)k;
}

START_TEST(expat_memory_is_capped)
{
    struct gen_stream g = {RUNCONFIG_EXPAT_MEM_MAX + ((size_t)8 << 20), 0};
    struct ikm_stream st = {&g, gen_read, NULL};
    struct memsink ms = {0};
    struct ikm_sink sink = memsink_sink(&ms);
    ck_assert_int_eq(runconfig_parse_stream(st, &sink, &ms.st), 1);
    ms_check_accounting(&ms);
    ck_assert_int_eq(ms.st.units, 1);
    ck_assert_int_eq(ms.st.unparsed, 1);
    const struct ms_diag *d = diag_with_check(&ms, "memory-limit");
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(strstr(d->message, "memory limit (64 MiB)"));
    memsink_free(&ms);
}
END_TEST

START_TEST(nul_bytes)
{
    static const char cfg[] = "<config version=\"10.1.0\">\n<devices>\n\0\0\0\0</devices>\n</config>\n";
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, S(cfg), 0), 1);
    ck_assert_int_eq(ms.st.units, 4);
    ck_assert_int_eq(ms.st.parsed, 2);
    ck_assert_int_eq(ms.st.unparsed, 2);
    ck_assert_int_eq(ms.un[0].line, 3);
    ck_assert_uint_eq(ms.un[0].text_len, 4 + strlen("</devices>"));
    ck_assert_str_eq(ms_fact(&ms, "config-version"), "10.1.0");
    ck_assert_str_eq(diag_with_check(&ms, "xml")->message, "line 3, column 1: not well-formed (invalid token)");
    memsink_free(&ms);
}
END_TEST

START_TEST(invalid_utf8)
{
    static const char cfg[] = "<config version=\"10.1.0\">\n"
                              "<devices><entry name=\"localhost.localdomain\"><deviceconfig><system>\n"
                              "<timezone>Europe/Berlin</timezone>\n"
                              "<hostname>fw\xff\xfe</hostname>\n"
                              "</system></deviceconfig></entry></devices>\n"
                              "</config>\n";
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, S(cfg), 0), 1);
    ck_assert_int_eq(ms.st.units, 6);
    ck_assert_int_eq(ms.st.parsed, 3);
    ck_assert_int_eq(ms.un[0].line, 4);
    ck_assert_str_eq(ms_fact(&ms, "timezone"), "Europe/Berlin");
    ck_assert_ptr_null(ms_fact(&ms, "hostname"));
    ck_assert_str_eq(diag_with_check(&ms, "xml")->message, "line 4, column 13: not well-formed (invalid token)");
    memsink_free(&ms);
}
END_TEST

START_TEST(empty_file)
{
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, "", 0, 0), 1);
    ms_check_accounting(&ms);
    ck_assert_int_eq(ms.st.units, 0);
    ck_assert_uint_eq(ms.n_un, 0);
    ck_assert_str_eq(diag_with_check(&ms, "xml")->message, "end of file after line 0: no element found");
    memsink_free(&ms);
}
END_TEST

START_TEST(not_a_pan_config)
{
    static const char svg[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">\n"
                              "  <network><ike><gateway><entry name=\"x\"/></gateway></ike></network>\n"
                              "</svg>\n";
    struct memsink ms = {0};
    ck_assert_int_eq(parse_rc(&ms, S(svg), 0), 0);
    ms_check_accounting(&ms);
    ck_assert_int_eq(ms.st.parsed, 4);
    ck_assert_uint_eq(ms.n_facts, 0);
    const struct ms_diag *d = diag_with_check(&ms, "not-config");
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->severity, IKM_DIAG_WARNING);
    ck_assert_int_eq(runconfig_sniff(S(svg)), 10);
    memsink_free(&ms);
}
END_TEST

/* A stream that fails after `ok` bytes of text. */
struct fail_stream {
    const char *p;
    size_t ok, pos;
};
static ssize_t fail_read(void *ctx, void *buf, size_t n)
{
    struct fail_stream *f = ctx;
    if (f->pos >= f->ok)
        return -1;
    size_t k = f->ok - f->pos < n ? f->ok - f->pos : n;
    memcpy(buf, f->p + f->pos, k);
    f->pos += k;
    return (ssize_t)k;
}
static const char *fail_error(void *ctx)
{
    (void)ctx;
    return "Input/output error";
}

START_TEST(read_error_keeps_what_was_read)
{
    size_t ok = (size_t)(strstr(fw_config, "        <tunnel>\n          <ipsec>") - fw_config);
    struct fail_stream fs = {fw_config, ok, 0};
    struct ikm_stream st = {&fs, fail_read, fail_error};
    struct memsink ms = {0};
    struct ikm_sink sink = memsink_sink(&ms);
    ck_assert_int_eq(runconfig_parse_stream(st, &sink, &ms.st), 1);
    ms_check_accounting(&ms);
    ck_assert_int_eq(ms.st.units, lines_in(fw_config, ok));
    ck_assert_int_eq(ms.st.parsed, ms.st.units);
    ck_assert_uint_eq(ms.n_gws, 2);
    ck_assert_uint_eq(ms.n_tns, 0);
    const struct ms_diag *d = diag_with_check(&ms, "read");
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(strstr(d->message, "Input/output error"));
    memsink_free(&ms);
}
END_TEST

static int refuse_gateway(void *ctx, const struct ikm_cfg_gateway *g)
{
    (void)ctx, (void)g;
    return -1;
}

START_TEST(sink_refusal_stops)
{
    struct memsink ms = {0};
    struct ikm_sink sink = memsink_sink(&ms);
    sink.cfg_gateway = refuse_gateway;
    struct ms_str_stream ss;
    ck_assert_int_eq(runconfig_parse_stream(ms_stream(&ss, S(fw_config), 0), &sink, &ms.st), -1);
    ck_assert_int_eq(ms.st.parsed + ms.st.unparsed, ms.st.units);
    ck_assert_uint_eq(ms.n_tns, 0); /* nothing after the refusal */
    memsink_free(&ms);
}
END_TEST

static int refuse_diag(void *ctx, const struct ikm_diag *d)
{
    (void)ctx, (void)d;
    return -1;
}

START_TEST(diag_refusal_stops_at_once)
{
    /* a diagnostic refused inside the parse stops it there, not at the end of the chunk */
    size_t len;
    char *bad = replaced(fw_config, "<passive-mode>no</passive-mode>", "<passive-mode>off</passive-mode>", &len);
    struct memsink ms = {0};
    struct ikm_sink sink = memsink_sink(&ms);
    sink.diag = refuse_diag;
    struct ms_str_stream ss;
    ck_assert_int_eq(runconfig_parse_stream(ms_stream(&ss, bad, len, 0), &sink, &ms.st), -1);
    ck_assert_int_eq(ms.st.parsed + ms.st.unparsed, ms.st.units);
    ck_assert_uint_eq(ms.n_gws, 0);
    ck_assert_uint_eq(ms.n_tns, 0);
    memsink_free(&ms);
    free(bad);
}
END_TEST

START_TEST(optional_callbacks_may_be_null)
{
    struct memsink ms = {0};
    struct ikm_sink sink = memsink_sink(&ms);
    sink.device_fact = NULL;
    sink.cfg_gateway = NULL;
    sink.cfg_tunnel = NULL;
    sink.cli_value = NULL;
    struct ms_str_stream ss;
    ck_assert_int_eq(runconfig_parse_stream(ms_stream(&ss, S(pano_config), 3), &sink, &ms.st), 0);
    ck_assert_int_eq(ms.st.parsed, ms.st.units);
    ck_assert_uint_eq(ms.n_gws + ms.n_tns + ms.n_facts, 0);
    memsink_free(&ms);
}
END_TEST

START_TEST(sniff)
{
    ck_assert_int_eq(runconfig_sniff(S(fw_config)), 100);
    ck_assert_int_eq(runconfig_sniff(S(pano_config)), 100);
    ck_assert_int_eq(runconfig_sniff(S("\xEF\xBB\xBF<config version=\"9.1.0\" urldb=\"paloaltonetworks\">")), 100);
    ck_assert_int_eq(runconfig_sniff(S("<response status=\"success\"><result><config><devices>")), 100);
    ck_assert_int_eq(runconfig_sniff(S("<config>\n  <foo/>\n")), 60);
    ck_assert_int_eq(runconfig_sniff(S("<?xml version=\"1.0\"?>\n<configuration><devices>")), 10);
    ck_assert_int_eq(runconfig_sniff(S("<?xml version=\"1.0\"?>\n<html/>")), 10);
    ck_assert_int_eq(runconfig_sniff(S("2019-03-06 17:26:28.000 -0800 [INFO]: <config")), 0);
    ck_assert_int_eq(runconfig_sniff("", 0), 0);
    ck_assert_int_eq(runconfig_sniff(S("<config")), 0); /* the tag is cut: say nothing */
}
END_TEST

Suite *runconfig_suite(void);
Suite *runconfig_suite(void)
{
    Suite *s = suite_create("runconfig");
    TCase *t = tcase_create("configs");
    tcase_add_test(t, firewall_config);
    tcase_add_test(t, firewall_config_any_chunking);
    tcase_add_test(t, firewall_config_crlf);
    tcase_add_test(t, panorama_template_and_stack);
    tcase_add_test(t, panos_61_gateway_without_version);
    tcase_add_test(t, api_export_on_one_line);
    tcase_add_test(t, values_not_understood);
    tcase_add_test(t, diagnostics_are_capped);
    tcase_add_test(t, optional_callbacks_may_be_null);
    tcase_add_test(t, sniff);
    suite_add_tcase(s, t);
    TCase *h = tcase_create("hostile");
    tcase_set_timeout(h, 60);
    tcase_add_test(h, truncated_config);
    tcase_add_test(h, truncated_inside_a_tag);
    tcase_add_test(h, malformed_in_the_middle);
    tcase_add_test(h, billion_laughs_refused);
    tcase_add_test(h, external_entity_refused);
    tcase_add_test(h, nesting_bomb);
    tcase_add_test(h, huge_attribute_and_text);
    tcase_add_test(h, expat_memory_is_capped);
    tcase_add_test(h, nul_bytes);
    tcase_add_test(h, invalid_utf8);
    tcase_add_test(h, empty_file);
    tcase_add_test(h, not_a_pan_config);
    tcase_add_test(h, read_error_keeps_what_was_read);
    tcase_add_test(h, sink_refusal_stops);
    tcase_add_test(h, diag_refusal_stops_at_once);
    suite_add_tcase(s, h);
    return s;
}
