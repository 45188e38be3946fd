package dev.chimney.host;

import dev.chimney.link.FrameSink;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Pollable;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.lang.foreign.MemorySegment;

/**
 * A transparent two-port bridge standing in for a router with a smaller next-hop MTU: frames pass unchanged until
 * {@link #clampMtu} is set; from then on an IP packet larger than the clamp is dropped and answered, like a router
 * would, with ICMPv4 "fragmentation needed and DF set" (RFC 792, RFC 1191 §4: next-hop MTU in the header) or ICMPv6
 * "packet too big" (RFC 4443 §3.2) sent back out of the port it came from.
 */
final class MtuClampBridge implements Pollable {
    static final MacAddress MAC = MacAddress.parse("02:77:00:00:00:fe");
    static final Ipv4Address ROUTER4 = Ipv4Address.parse("10.77.0.254");
    static final Ipv6Address ROUTER6 = Ipv6Address.parse("fd77::fe");

    private final NetworkPort left;
    private final NetworkPort right;
    private final FrameSink fromLeft;
    private final FrameSink fromRight;
    private int clampMtu;
    /**
     * ICMP errors the bridge may still send back out of each side (routers rate-limit them, RFC 1812 §4.3.2.8);
     * unlimited by default. Index 0: towards the left port, 1: towards the right.
     */
    private final long[] icmpBudget = {Long.MAX_VALUE, Long.MAX_VALUE};
    long forwarded;
    long tooBig;
    long largestForwardedAfterClamp;

    MtuClampBridge(EventLoop loop, NetworkPort left, NetworkPort right) {
        this.left = left;
        this.right = right;
        this.fromLeft = frame -> forward(frame, left, right);
        this.fromRight = frame -> forward(frame, right, left);
        loop.register(this);
    }

    /** Sends at most {@code errors} more ICMP errors out of each side; further oversize packets vanish silently. */
    void icmpBudgetPerSide(long errors) {
        icmpBudget[0] = errors;
        icmpBudget[1] = errors;
    }

    /** From now on, IP packets larger than {@code mtuBytes} are refused with an ICMP error. */
    void clampMtu(int mtuBytes) {
        this.clampMtu = mtuBytes;
    }

    @Override
    public int poll(long nowNs, int budget) {
        return left.receive(fromLeft, budget) + right.receive(fromRight, budget);
    }

    @Override
    public long nextWorkNs() {
        return Math.min(left.nextArrivalNs(), right.nextArrivalNs());
    }

    private void forward(MemorySegment frame, NetworkPort in, NetworkPort out) {
        int etherType = Short.toUnsignedInt(frame.get(RawFrames.U16, 12));
        int ipLen = etherType == 0x0800 ? Short.toUnsignedInt(frame.get(RawFrames.U16, 14 + 2))
                : etherType == 0x86DD ? 40 + Short.toUnsignedInt(frame.get(RawFrames.U16, 14 + 4)) : 0;
        if (clampMtu > 0 && ipLen > clampMtu) {
            tooBig++;
            int side = in == left ? 0 : 1;
            if (icmpBudget[side] > 0) {
                icmpBudget[side]--;
                in.transmit(icmpError(frame, etherType == 0x0800, ipLen));
            }
            return;
        }
        if (clampMtu > 0) {
            largestForwardedAfterClamp = Math.max(largestForwardedAfterClamp, ipLen);
        }
        forwarded++;
        out.transmit(frame);
    }

    private MemorySegment icmpError(MemorySegment frame, boolean v4, int ipLen) {
        return v4 ? RawFrames.icmpError(frame, MAC, ROUTER4, 3, 4, clampMtu)
                : RawFrames.icmpError(frame, MAC, ROUTER6, 2, 0, clampMtu);
    }
}
