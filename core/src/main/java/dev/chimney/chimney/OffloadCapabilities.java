package dev.chimney.chimney;

/**
 * What a target can hold ({@code NDIS_TCP_CONNECTION_OFFLOAD}, spec §7.3), reported at attach and again on RESUME,
 * when it may have changed (spec §5.1.2). Limits beyond the spec's fields are ours and fail closed: an initiate that
 * exceeds one fails with the matching status (spec §3.1.3).
 *
 * @param supportIpv4                   IPv4 paths and connections
 * @param supportIpv6                   IPv6 paths and connections
 * @param supportIpv6ExtensionHeaders   optional
 * @param supportSack                   generates and consumes SACK
 * @param tcpConnectionOffloadCapacity  most TCP connections offloaded at once, IPv4 and IPv6 together
 * @param maxPaths                      most path objects (OFFLOAD_PATH_ENTRIES beyond)
 * @param maxNeighbors                  most neighbor objects (OFFLOAD_NEIGHBOR_ENTRIES beyond)
 * @param maxInitialRcvWnd              largest InitialRcvWnd (OFFLOAD_TCP_RCV_WINDOW beyond)
 * @param maxPathMtu                    largest PathMtu (OFFLOAD_PATH_MTU beyond)
 * @param configurableSourceMac         honours a non-null DlSourceAddress (else OFFLOAD_HW_ADDRESS_ENTRIES)
 * @param supports8021p                 puts UserPriority in an 802.1Q tag
 */
public record OffloadCapabilities(boolean supportIpv4, boolean supportIpv6, boolean supportIpv6ExtensionHeaders,
        boolean supportSack, int tcpConnectionOffloadCapacity, int maxPaths, int maxNeighbors, int maxInitialRcvWnd,
        int maxPathMtu, boolean configurableSourceMac, boolean supports8021p) {

    /** Nothing can be offloaded (an intermediate target that allows no chimney offload answers this). */
    public static final OffloadCapabilities NONE = new OffloadCapabilities(false, false, false, false, 0, 0, 0, 0, 0,
            false, false);

    public OffloadCapabilities {
        if (tcpConnectionOffloadCapacity < 0 || maxPaths < 0 || maxNeighbors < 0 || maxInitialRcvWnd < 0
                || maxPathMtu < 0) {
            throw new IllegalArgumentException("capability limits must be >= 0");
        }
    }

    public boolean supports(StateLayer pathLayer) {
        return pathLayer == StateLayer.IPV4_PATH ? supportIpv4 : pathLayer != StateLayer.IPV6_PATH || supportIpv6;
    }

    public OffloadCapabilities withCapacity(int connections) {
        return new OffloadCapabilities(supportIpv4, supportIpv6, supportIpv6ExtensionHeaders, supportSack,
                connections, maxPaths, maxNeighbors, maxInitialRcvWnd, maxPathMtu, configurableSourceMac,
                supports8021p);
    }

    public OffloadCapabilities withIp(boolean v4, boolean v6) {
        return new OffloadCapabilities(v4, v6, supportIpv6ExtensionHeaders, supportSack, tcpConnectionOffloadCapacity,
                maxPaths, maxNeighbors, maxInitialRcvWnd, maxPathMtu, configurableSourceMac, supports8021p);
    }
}
