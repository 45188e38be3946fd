package dev.chimney.cli;

import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.ip.IpCidr;
import dev.chimney.link.tap.TapOptions;
import dev.chimney.runtime.IdleStrategy;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.tcp.cc.CongestionControls;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything {@code chimney run} needs to bring a stack up on a TAP device, validated: {@link StackRunner#start}
 * takes one of these, so tests can start exactly what the command line would.
 *
 * @param tapName          TAP interface name (created if missing)
 * @param netns            named network namespace to open the TAP in, or null for the current one
 * @param addresses        the stack's addresses with prefix length (at least one)
 * @param gateways         default gateways (at most one per address family)
 * @param mtuBytes         MTU of the TAP and the stack's interface
 * @param mac              the stack's MAC address
 * @param serve            applications to serve (ports distinct)
 * @param pcap             capture file for every frame in and out, or null
 * @param seed             root seed of the stack's randomness (ISN keys, neighbor jitter, ...)
 * @param shutdownTimeout  how long a clean shutdown waits for connections to close before giving up
 * @param tso              open the TAP with a virtio-net header so the kernel segments and checksums our TCP
 *                         super-frames (TSO) and hands us coalesced ones; ignored with a capture file, which records
 *                         frames as they are on the wire
 * @param tapQueueLength   the kernel's queue of frames towards the stack (txqueuelen) set when the TAP opens, or 0
 *                         to keep the device's; default {@link TapOptions#RECOMMENDED_TX_QUEUE_LENGTH}
 * @param idle             the loop's idle strategy setting ({@link IdleStrategy#parse}: park, spin, backoff or
 *                         backoff:SPIN_US:YIELD_US); default backoff
 * @param offload          the TCP chimney ({@link OffloadPolicy#parse}): {@code none} (default: no offload target,
 *                         the host stack on the TAP as before), {@code all} (every connection offloaded to the soft
 *                         target once ESTABLISHED), {@code after-bytes:N} (once it carried N bytes) or {@code
 *                         explicit} (the soft target in the path as a pass-through NIC, nothing offloaded by itself)
 * @param teamTap          a second TAP for a team (active-backup, {@code --team}): two soft targets, one per TAP,
 *                         bonded by a {@link dev.chimney.chimney.team.TeamTarget} with the one MAC; null for none.
 *                         Needs an offload target ({@code --offload} other than none)
 * @param congestion       the congestion controller of every connection ({@code --congestion}); default
 *                         {@link #DEFAULT_CONGESTION}, as Linux's
 */
public record RunSettings(String tapName, String netns, List<IpCidr> addresses, List<IpAddress> gateways,
                          int mtuBytes, MacAddress mac, List<ServeSpec> serve, Path pcap, long seed,
                          Duration shutdownTimeout, boolean tso, int tapQueueLength, String idle, String offload,
                          String teamTap, CongestionControls.Algorithm congestion) {
    /** The default idle strategy setting of {@code chimney run}. */
    public static final String DEFAULT_IDLE = "backoff";
    /** The default {@code --offload}: no offload target in the path. */
    public static final String DEFAULT_OFFLOAD = "none";
    /** The default {@code --congestion}: CUBIC (RFC 9438), Linux's default, so a side-by-side compares like. */
    public static final CongestionControls.Algorithm DEFAULT_CONGESTION = CongestionControls.Algorithm.CUBIC;

    /** Settings with the default congestion controller. */
    public RunSettings(String tapName, String netns, List<IpCidr> addresses, List<IpAddress> gateways,
                       int mtuBytes, MacAddress mac, List<ServeSpec> serve, Path pcap, long seed,
                       Duration shutdownTimeout, boolean tso, int tapQueueLength, String idle, String offload,
                       String teamTap) {
        this(tapName, netns, addresses, gateways, mtuBytes, mac, serve, pcap, seed, shutdownTimeout, tso,
                tapQueueLength, idle, offload, teamTap, DEFAULT_CONGESTION);
    }

    /** Settings without a team. */
    public RunSettings(String tapName, String netns, List<IpCidr> addresses, List<IpAddress> gateways,
                       int mtuBytes, MacAddress mac, List<ServeSpec> serve, Path pcap, long seed,
                       Duration shutdownTimeout, boolean tso, int tapQueueLength, String idle, String offload) {
        this(tapName, netns, addresses, gateways, mtuBytes, mac, serve, pcap, seed, shutdownTimeout, tso,
                tapQueueLength, idle, offload, null);
    }

    /** Settings with the default TAP queue length and idle strategy. */
    public RunSettings(String tapName, String netns, List<IpCidr> addresses, List<IpAddress> gateways,
                       int mtuBytes, MacAddress mac, List<ServeSpec> serve, Path pcap, long seed,
                       Duration shutdownTimeout, boolean tso) {
        this(tapName, netns, addresses, gateways, mtuBytes, mac, serve, pcap, seed, shutdownTimeout, tso,
                TapOptions.RECOMMENDED_TX_QUEUE_LENGTH, DEFAULT_IDLE, DEFAULT_OFFLOAD);
    }

    /** Settings without the TCP chimney ({@link #DEFAULT_OFFLOAD}). */
    public RunSettings(String tapName, String netns, List<IpCidr> addresses, List<IpAddress> gateways,
                       int mtuBytes, MacAddress mac, List<ServeSpec> serve, Path pcap, long seed,
                       Duration shutdownTimeout, boolean tso, int tapQueueLength, String idle) {
        this(tapName, netns, addresses, gateways, mtuBytes, mac, serve, pcap, seed, shutdownTimeout, tso,
                tapQueueLength, idle, DEFAULT_OFFLOAD);
    }

    public RunSettings {
        Objects.requireNonNull(tapName, "tapName");
        addresses = List.copyOf(addresses);
        gateways = List.copyOf(gateways);
        serve = List.copyOf(serve);
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("give the stack at least one --address CIDR (e.g. 10.77.0.2/24)");
        }
        if (!mac.isUnicast()) {
            throw new IllegalArgumentException("--mac must be a unicast address (lowest bit of the first octet 0), got "
                    + mac);
        }
        boolean v4 = false;
        boolean v6 = false;
        for (IpAddress gw : gateways) {
            boolean isV4 = gw instanceof dev.chimney.wire.Ipv4Address;
            if (isV4 ? v4 : v6) {
                throw new IllegalArgumentException("at most one --gateway per address family, got " + gateways);
            }
            if (addresses.stream().noneMatch(a -> a.isIpv4() == isV4 && a.contains(gw))) {
                throw new IllegalArgumentException("gateway " + gw + " is not on any --address subnet "
                        + addresses + ": the stack could not reach it");
            }
            v4 |= isV4;
            v6 |= !isV4;
        }
        Set<Integer> ports = new HashSet<>();
        for (ServeSpec s : serve) {
            if (!ports.add(s.port())) {
                throw new IllegalArgumentException("port " + s.port() + " is served twice: give each --serve its own"
                        + " port");
            }
        }
        Objects.requireNonNull(idle, "idle (use RunSettings.DEFAULT_IDLE)");
        IdleStrategy.parse(idle); // rejects a bad setting here, with the accepted forms
        Objects.requireNonNull(offload, "offload (use RunSettings.DEFAULT_OFFLOAD)");
        offload = offload.trim();
        if (!offload.equals(DEFAULT_OFFLOAD)) {
            OffloadPolicy.parse(offload); // rejects a bad setting here, naming the accepted forms
        }
        TapOptions.named("x").withTxQueueLength(tapQueueLength); // the same range check as the device's
        if (teamTap != null) {
            if (offload.equals(DEFAULT_OFFLOAD)) {
                throw new IllegalArgumentException("--team " + teamTap + " bonds two offload targets: give --offload "
                        + "all, after-bytes:N or explicit too");
            }
            if (teamTap.equals(tapName)) {
                throw new IllegalArgumentException("--team must name another TAP than --tap, got " + teamTap
                        + " twice");
            }
            TapOptions.named(teamTap); // the same name check as the device's
        }
        if (shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("shutdown timeout must be >= 0, got " + shutdownTimeout);
        }
        Objects.requireNonNull(congestion, "congestion (use RunSettings.DEFAULT_CONGESTION)");
    }

    /** Whether the TAP is opened with segmentation/checksum offload, TSO (asked for, and no capture file). */
    public boolean tsoInEffect() {
        return tso && pcap == null;
    }

    /** The same settings with the TAP opened in named namespace {@code newNetns}. */
    public RunSettings inNetns(String newNetns) {
        return new RunSettings(tapName, newNetns, addresses, gateways, mtuBytes, mac, serve, pcap, seed,
                shutdownTimeout, tso, tapQueueLength, idle, offload, teamTap, congestion);
    }

    /** The same settings with another TAP queue length (0: keep the device's). */
    public RunSettings withTapQueueLength(int frames) {
        return new RunSettings(tapName, netns, addresses, gateways, mtuBytes, mac, serve, pcap, seed,
                shutdownTimeout, tso, frames, idle, offload, teamTap, congestion);
    }

    /** The same settings with another idle strategy setting. */
    public RunSettings withIdle(String newIdle) {
        return new RunSettings(tapName, netns, addresses, gateways, mtuBytes, mac, serve, pcap, seed,
                shutdownTimeout, tso, tapQueueLength, newIdle, offload, teamTap, congestion);
    }

    /** The same settings with another {@code --offload} setting (none, all, after-bytes:N, explicit). */
    public RunSettings withOffload(String newOffload) {
        return new RunSettings(tapName, netns, addresses, gateways, mtuBytes, mac, serve, pcap, seed,
                shutdownTimeout, tso, tapQueueLength, idle, newOffload, teamTap, congestion);
    }

    /** The same settings with a team of two TAPs ({@code --team}), or without one (null). */
    public RunSettings withTeam(String newTeamTap) {
        return new RunSettings(tapName, netns, addresses, gateways, mtuBytes, mac, serve, pcap, seed,
                shutdownTimeout, tso, tapQueueLength, idle, offload, newTeamTap, congestion);
    }

    /** The same settings with another congestion controller ({@code --congestion}). */
    public RunSettings withCongestion(CongestionControls.Algorithm newCongestion) {
        return new RunSettings(tapName, netns, addresses, gateways, mtuBytes, mac, serve, pcap, seed,
                shutdownTimeout, tso, tapQueueLength, idle, offload, teamTap, newCongestion);
    }

    /** Whether a soft offload target sits between the TAP and the host stack (any --offload but none). */
    public boolean offloadTarget() {
        return !offload.equals(DEFAULT_OFFLOAD);
    }

    /** The host's offload policy; only meaningful with {@link #offloadTarget()}. */
    public OffloadPolicy offloadPolicy() {
        return offloadTarget() ? OffloadPolicy.parse(offload) : OffloadPolicy.explicit();
    }

    /**
     * A locally administered unicast MAC (RFC 7042 §2.1: first octet bit 1 set, bit 0 clear) derived from the seed
     * and the TAP name, so runs with the same seed on the same device keep their MAC (kernel neighbor entries stay
     * valid) while two devices of one run differ.
     */
    public static MacAddress derivedMac(long seed, String tapName) {
        long bits = new SeededRandom(seed).fork("mac:" + tapName).nextLong() & 0xFFFF_FFFF_FFFFL;
        long firstOctetMask = 0xFFL << 40;
        long first = ((bits >>> 40) & 0xFC) | 0x02;
        return new MacAddress((bits & ~firstOctetMask) | (first << 40));
    }
}
