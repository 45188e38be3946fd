package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.ip.Route;
import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualSwitch;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * More than two hosts: three {@link NetworkStack}s on a {@link VirtualSwitch} with lossy ports, two of them on an
 * 802.1Q VLAN; A (IPv4) and C (IPv6) both open connections to B's one listener at once, every exchange byte-exact.
 * Plus the builder's misuse errors.
 */
class SwitchedHostsTest {
    private static final long S = 1_000_000_000L;
    private static final int PORT = 4000;

    @Test
    void threeHostsOnALossySwitchTwoFamiliesOneListener() {
        for (int vlan : new int[] {0, 42}) {
            Simulator sim = new Simulator(31 + vlan);
            VirtualSwitch sw = VirtualSwitch.builder("sw", sim.clock(), sim.random().fork("sw")).build();
            Impairments lossy = Impairments.NONE.withDelay(200_000, 50_000).withLoss(0.01).withReordering(0.01,
                    500_000).withDuplication(0.002);
            NetworkStack a = host(sim, sw, lossy, "a", 0x0a, vlan);
            NetworkStack b = host(sim, sw, lossy, "b", 0x0b, vlan);
            NetworkStack c = host(sim, sw, lossy, "c", 0x0c, vlan);
            List<StreamEndpoint> clients = new ArrayList<>();
            List<StreamEndpoint> servers = new ArrayList<>();
            b.listen(PORT, l -> {
                TcpConnection conn;
                while ((conn = l.accept()) != null) {
                    StreamEndpoint e = StreamEndpoint.server();
                    servers.add(e);
                    e.attach(conn);
                }
            });
            SeededRandom sizes = sim.random().fork("sizes");
            for (int i = 0; i < 40; i++) {
                StreamEndpoint e = StreamEndpoint.client(i, sizes.nextInt(200_000), sizes.nextInt(200_000));
                clients.add(e);
                NetworkStack from = i % 2 == 0 ? a : c;
                e.connection = from.connect(IpAddress.parse(i % 2 == 0 ? "10.77.9.11" : "fd77:9::11"), PORT, e);
            }
            boolean done = sim.runUntil(() -> servers.size() == 40 && clients.stream().allMatch(e -> e.closed != null)
                    && servers.stream().allMatch(e -> e.closed != null), 300 * S);
            String report = "vlan " + vlan + " seed " + sim.seed() + " switch forwarded=" + sw.framesForwarded()
                    + " flooded=" + sw.framesFlooded() + "\n clients " + clients + "\n servers " + servers;
            assertTrue(done, report);
            for (StreamEndpoint e : clients) {
                assertTrue(e.complete() && e.closed == CloseReason.NORMAL, e + " " + report);
            }
            for (StreamEndpoint e : servers) {
                assertTrue(e.complete() && e.closed == CloseReason.NORMAL, e + " " + report);
            }
            assertTrue(sw.framesForwarded() > 1000, report);
            assertEquals(vlan != 0, b.interfaces().getFirst().tagsFrames(), "802.1Q tagging as configured");
        }
    }

    private static NetworkStack host(Simulator sim, VirtualSwitch sw, Impairments imp, String name, int id,
            int vlan) {
        InterfaceConfig cfg = InterfaceConfig.of(name + "0", new MacAddress(0x0277_0000_0900L | id))
                .withIpv4("10.77.9." + id + "/24").withIpv6("fd77:9::" + Integer.toHexString(id + 6) + "/64");
        if (vlan != 0) {
            cfg = cfg.withVlan(vlan, 3);
        }
        return NetworkStack.builder(sim.newLoop(name)).random(sim.random().fork(name))
                .iface(sw.newPort(name, imp), cfg).build();
    }

    @Test
    void builderAndConnectMisuseSayWhatToDo() {
        Simulator sim = new Simulator(1);
        VirtualSwitch sw = VirtualSwitch.builder("sw", sim.clock(), sim.random().fork("sw")).build();
        IllegalStateException noIface = assertThrows(IllegalStateException.class,
                () -> NetworkStack.builder(sim.newLoop("x")).seed(1).build());
        assertTrue(noIface.getMessage().contains("iface("), noIface.getMessage());
        InterfaceConfig cfg = InterfaceConfig.of("a0", new MacAddress(0x0277_0000_0901L)).withIpv4("10.77.9.2/24");
        IllegalArgumentException offLink = assertThrows(IllegalArgumentException.class,
                () -> NetworkStack.builder(sim.newLoop("y")).seed(1).iface(sw.newPort("y"), cfg)
                        .gateway(IpAddress.parse("10.99.0.1")).build());
        assertTrue(offLink.getMessage().contains("10.99.0.1"), offLink.getMessage());
        NetworkStack h = NetworkStack.builder(sim.newLoop("z")).seed(1).iface(sw.newPort("z"), cfg)
                .gateway(IpAddress.parse("10.77.9.1")).build();
        Route viaGateway = h.ip().routes().lookup(IpAddress.parse("192.0.2.7"));
        assertEquals(IpAddress.parse("10.77.9.1"), viaGateway.gateway(), "default route through the gateway");
        IllegalStateException noRoute = assertThrows(IllegalStateException.class,
                () -> h.connect(IpAddress.parse("fd77:5::1"), 80, new TcpConnection.Listener() { }));
        assertTrue(noRoute.getMessage().contains("no route"), noRoute.getMessage());
        assertEquals(1L, h.seed(), "the seed given is the seed reported, for replay");
    }
}
