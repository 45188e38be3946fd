package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.Impairments;
import dev.chimney.link.LinkObserver;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpIpCounter;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.IpAddress;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ICMP errors about a connection being opened reach it only when they match (RFC 5927 §4.1, §4.3): the quoted
 * 4-tuple names a live connection and the quoted sequence number is in flight. A matching hard error (port
 * unreachable) aborts SYN_SENT (RFC 1122 §4.2.3.9); a soft one is remembered and the handshake goes on; forged
 * ones (wrong sequence number, unknown port) are counted and ignored.
 */
class IcmpErrorTest {
    private static final long S = 1_000_000_000L;

    /** What the test does to the quote of our SYN before the router's error is injected back. */
    private enum Forgery { NONE, SEQUENCE_OUT_OF_WINDOW, UNKNOWN_PORT }

    private static final class Run {
        final Simulator sim = new Simulator(5);
        final VirtualWire wire = VirtualWire.builder("w", sim.clock(), sim.random().fork("w"))
                .both(Impairments.NONE.withDelay(500_000, 0)).build();
        final NetworkStack a = NetworkStack.builder(sim.newLoop("a")).random(sim.random().fork("a"))
                .iface(wire.a(), InterfaceConfig.of("a0", TransferScenario.MAC_A).withIpv4("10.77.0.1/24")
                        .withIpv6("fd77::1/64")).build();
        final NetworkStack b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b"))
                .iface(wire.b(), InterfaceConfig.of("b0", TransferScenario.MAC_B).withIpv4("10.77.0.2/24")
                        .withIpv6("fd77::2/64")).build();
        CloseReason closed;
        boolean connected;

        TcpConnection open(boolean ipv6, int type, int code, Forgery forgery) {
            b.listen(80, l -> l.accept());
            wire.aToB().observer(new LinkObserver() {
                boolean done;

                @Override
                public void onSend(String channel, long nowNs, MemorySegment frame) {
                    if (done || !isSyn(frame)) {
                        return;
                    }
                    done = true;
                    byte[] copy = frame.toArray(ValueLayout.JAVA_BYTE);
                    forge(copy, ipv6, forgery);
                    IpAddress router = ipv6 ? MtuClampBridge.ROUTER6 : MtuClampBridge.ROUTER4;
                    MemorySegment error = RawFrames.icmpError(MemorySegment.ofArray(copy), MtuClampBridge.MAC,
                            router, type, code, 0);
                    // Arrives before the SYN-ACK could (the wire delay is 500 µs each way).
                    wire.bToA().inject(error, nowNs + 100_000);
                }
            });
            return a.connect(IpAddress.parse(ipv6 ? "fd77::2" : "10.77.0.2"), 80, new TcpConnection.Listener() {
                @Override
                public void onConnected(TcpConnection c) {
                    connected = true;
                }

                @Override
                public void onClosed(TcpConnection c, CloseReason reason) {
                    closed = reason;
                }
            });
        }

        long counter(TcpIpCounter c) {
            return a.binding().counter(c);
        }
    }

    private static boolean isSyn(MemorySegment frame) {
        int etherType = Short.toUnsignedInt(frame.get(RawFrames.U16, 12));
        int tcp = etherType == 0x0800 ? 14 + 20 : etherType == 0x86DD ? 14 + 40 : -1;
        return tcp > 0 && frame.byteSize() >= tcp + 14 && (frame.get(ValueLayout.JAVA_BYTE, tcp + 13) & 0x12) == 0x02
                && frame.get(ValueLayout.JAVA_BYTE, etherType == 0x0800 ? 14 + 9 : 14 + 6) == 6;
    }

    private static void forge(byte[] f, boolean ipv6, Forgery forgery) {
        int tcp = 14 + (ipv6 ? 40 : 20);
        switch (forgery) {
            case NONE -> { }
            case SEQUENCE_OUT_OF_WINDOW -> f[tcp + 4] ^= 0x40; // a guess 2^30 away from the ISN
            case UNKNOWN_PORT -> f[tcp + 1] ^= 0x01; // a source port with no connection
        }
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void matchingPortUnreachableAbortsTheOpeningConnection(boolean ipv6) {
        Run r = new Run();
        TcpConnection c = r.open(ipv6, ipv6 ? 1 : 3, ipv6 ? 4 : 3, Forgery.NONE);
        assertTrue(r.sim.runUntil(() -> r.closed != null, 5 * S), r.a.binding().toString());
        assertEquals(CloseReason.UNREACHABLE, r.closed, "RFC 1122 §4.2.3.9: hard error in SYN_SENT aborts");
        assertEquals(1, r.counter(TcpIpCounter.ICMP_HARD_ERRORS), r.a.binding().toString());
        assertEquals(TcpState.CLOSED, c.state());
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void softErrorIsRememberedAndTheHandshakeGoesOn(boolean ipv6) {
        Run r = new Run();
        r.open(ipv6, ipv6 ? 1 : 3, ipv6 ? 3 : 1, Forgery.NONE); // host unreachable
        assertTrue(r.sim.runUntil(() -> r.connected, 5 * S), r.a.binding().toString());
        assertNull(r.closed);
        assertEquals(1, r.counter(TcpIpCounter.ICMP_SOFT_ERRORS), r.a.binding().toString());
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void errorQuotingASequenceNumberNotInFlightIsIgnored(boolean ipv6) {
        Run r = new Run();
        r.open(ipv6, ipv6 ? 1 : 3, ipv6 ? 4 : 3, Forgery.SEQUENCE_OUT_OF_WINDOW);
        assertTrue(r.sim.runUntil(() -> r.connected, 5 * S), r.a.binding().toString());
        assertNull(r.closed, "RFC 5927 §4.1: a blind attacker's guess must not reset the connection");
        assertEquals(1, r.counter(TcpIpCounter.ICMP_DROP_OUT_OF_WINDOW), r.a.binding().toString());
        assertEquals(0, r.counter(TcpIpCounter.ICMP_HARD_ERRORS));
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void errorQuotingNoConnectionIsIgnored(boolean ipv6) {
        Run r = new Run();
        r.open(ipv6, ipv6 ? 1 : 3, ipv6 ? 4 : 3, Forgery.UNKNOWN_PORT);
        assertTrue(r.sim.runUntil(() -> r.connected, 5 * S), r.a.binding().toString());
        assertEquals(1, r.counter(TcpIpCounter.ICMP_DROP_NO_CONNECTION), r.a.binding().toString());
    }
}
