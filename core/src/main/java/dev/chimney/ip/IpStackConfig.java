package dev.chimney.ip;

import java.time.Duration;

/**
 * Limits and defaults of an {@link IpStack}. Every resource the stack holds is bounded by a value here.
 *
 * @param neighbor          neighbor cache limits and NUD timers (per interface and family)
 * @param pathMaxEntries    destinations whose path state (PMTU) is cached
 * @param pathMtuAgingNs    time after a PMTU decrease before the link MTU is tried again (RFC 1191 §6.3, RFC 8201 §4)
 * @param reassemblyIpv4    IPv4 fragment reassembly limits
 * @param reassemblyIpv6    IPv6 fragment reassembly limits
 * @param defaultTtl        TTL / hop limit of packets we originate (RFC 1700 / RFC 8200 §3 suggest 64)
 * @param echoReplyToMulticast whether to answer echo requests sent to broadcast or multicast (RFC 1122 §3.2.2.6 MAY
 *                          ignore; off by default against smurf amplification)
 * @param icmpErrorsPerSecond sustained rate of ICMP errors we originate (token bucket, RFC 4443 §2.4(f))
 * @param icmpErrorBurst    token bucket depth
 */
public record IpStackConfig(NeighborConfig neighbor, int pathMaxEntries, long pathMtuAgingNs,
        FragmentReassembler.Config reassemblyIpv4, FragmentReassembler.Config reassemblyIpv6, int defaultTtl,
        boolean echoReplyToMulticast, int icmpErrorsPerSecond, int icmpErrorBurst) {

    public IpStackConfig {
        if (icmpErrorsPerSecond < 0 || icmpErrorBurst < 0) {
            throw new IllegalArgumentException("ICMP error rate and burst must be >= 0 (0 disables errors)");
        }
        if (defaultTtl < 1 || defaultTtl > 255) {
            throw new IllegalArgumentException("default TTL must be 1..255, got " + defaultTtl);
        }
    }

    public static IpStackConfig defaults() {
        return new IpStackConfig(NeighborConfig.defaults(), 1024, Duration.ofMinutes(10).toNanos(),
                FragmentReassembler.Config.ipv4Defaults(), FragmentReassembler.Config.ipv6Defaults(), 64, false, 100,
                20);
    }

    public IpStackConfig withNeighbor(NeighborConfig n) {
        return new IpStackConfig(n, pathMaxEntries, pathMtuAgingNs, reassemblyIpv4, reassemblyIpv6, defaultTtl,
                echoReplyToMulticast, icmpErrorsPerSecond, icmpErrorBurst);
    }

    public IpStackConfig withPathMtuAgingNs(long agingNs) {
        return new IpStackConfig(neighbor, pathMaxEntries, agingNs, reassemblyIpv4, reassemblyIpv6, defaultTtl,
                echoReplyToMulticast, icmpErrorsPerSecond, icmpErrorBurst);
    }
}
