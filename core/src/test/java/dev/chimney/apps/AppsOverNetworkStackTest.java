package dev.chimney.apps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.StreamClient;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The apps through complete host stacks (Ethernet, ARP/NDP, IPv4/IPv6, TCP) on a lossy, reordering virtual wire:
 * echo returns every byte and discard counts every byte, over IPv4 and IPv6; a closed port is refused.
 */
class AppsOverNetworkStackTest {
    static final long MS = 1_000_000L;

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void echoAndDiscardOverALossyWire(boolean ipv6) {
        long seed = ipv6 ? 6 : 4;
        Simulator sim = new Simulator(seed);
        Impairments imp = Impairments.NONE.withDelay(2 * MS, MS).withLoss(0.01).withReordering(0.02, 5 * MS);
        VirtualWire wire = VirtualWire.builder("wire", sim.clock(), sim.random().fork("wire")).both(imp).build();
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(64 * 1024).receiveBufferBytes(64 * 1024).build();
        NetworkStack a = NetworkStack.builder(sim.newLoop("a")).random(sim.random().fork("a")).tcpConfig(tcp)
                .iface(wire.a(), InterfaceConfig.of("a0", MacAddress.parse("02:77:00:00:00:0a"))
                        .withIpv4("10.77.5.1/24").withIpv6("fd77::1/64"))
                .build();
        NetworkStack b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                .iface(wire.b(), InterfaceConfig.of("b0", MacAddress.parse("02:77:00:00:00:0b"))
                        .withIpv4("10.77.5.2/24").withIpv6("fd77::2/64"))
                .build();
        SocketStack clientSockets = SocketStack.of(a);
        SocketStack serverSockets = SocketStack.of(b);
        EchoServer echo = EchoServer.start(serverSockets);
        DiscardServer discard = DiscardServer.start(serverSockets);
        IpAddress server = IpAddress.parse(ipv6 ? "fd77::2" : "10.77.5.2");
        SeededRandom r = new SeededRandom(seed);
        List<StreamClient> echoClients = new ArrayList<>();
        List<StreamClient> discardClients = new ArrayList<>();
        long discarded = 0;
        for (int i = 0; i < 8; i++) {
            byte[] payload = new byte[r.nextInt(200_000)];
            r.nextBytes(payload);
            StreamClient e = new StreamClient(payload);
            echoClients.add(e);
            clientSockets.connect(server, EchoServer.PORT, SocketOptions.defaults(), e);
            StreamClient d = new StreamClient(payload.clone());
            discarded += payload.length;
            discardClients.add(d);
            clientSockets.connect(server, DiscardServer.PORT, SocketOptions.defaults(), d);
        }
        StreamClient refused = new StreamClient(new byte[0]);
        clientSockets.connect(server, 4444, SocketOptions.defaults(), refused);
        boolean done = sim.runUntil(() -> echoClients.stream().allMatch(c -> c.closed)
                && discardClients.stream().allMatch(c -> c.closed) && refused.closed, 3_600_000 * MS);
        assertTrue(done, "seed " + seed + ": not finished by t=" + sim.nowNs() / MS + " ms");
        for (StreamClient c : echoClients) {
            assertNull(c.error, "seed " + seed);
            assertArrayEquals(c.source, c.received.toByteArray(), "echo; seed " + seed);
        }
        for (StreamClient c : discardClients) {
            assertNull(c.error, "seed " + seed);
        }
        assertEquals(discarded, discard.bytesDiscarded(), "seed " + seed);
        ConnectException e = assertInstanceOf(ConnectException.class, refused.error);
        assertTrue(e.getMessage().contains(ipv6 ? "[fd77::2]:4444" : "10.77.5.2:4444"), e.getMessage());
        assertTrue(echoClients.getFirst().channel.localAddress().equals(IpAddress.parse(ipv6 ? "fd77::1"
                : "10.77.5.1")), "source address chosen by the route");
    }
}
