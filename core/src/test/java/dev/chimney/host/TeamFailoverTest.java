package dev.chimney.host;

import static dev.chimney.host.TeamScenario.MS;
import static dev.chimney.host.TeamScenario.S;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.host.OffloadCounter;
import dev.chimney.chimney.host.OffloadManager;
import dev.chimney.chimney.team.TeamTarget;
import dev.chimney.link.LinkObserver;
import dev.chimney.wire.Checksum;
import dev.chimney.wire.Ipv6Address;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Team failover end to end (issue 7 item 3): host A's chimney on a {@link TeamTarget} of two soft targets on two
 * ports of one virtual switch, peer B on a third; connections carry data both ways while the team fails over on
 * command or because its active link went down. Every stream stays byte-exact and closes normally (no reset), the
 * switch learns the team's MAC on the new port from the announcements, the host re-offloads to the new member, and
 * the contract checker between the manager and the team saw no broken rule on either side.
 */
class TeamFailoverTest {

    private static void assertClean(TeamScenario s) {
        assertTrue(s.checker.violations().isEmpty(), s.checker.violations().toString());
        assertTrue(s.checker.targetViolations().isEmpty(), s.checker.targetViolations().toString());
        assertEquals(0, s.manager.counter(OffloadCounter.PROTOCOL_VIOLATIONS), s.report());
        assertEquals(0, s.manager.counter(OffloadCounter.CONNECTIONS_LOST), s.report());
    }

    private static void runUntilShare(TeamScenario s, double share) {
        long want = (long) (share * s.expected());
        assertTrue(s.sim.runUntil(() -> s.received() >= want, s.sim.nowNs() + 60 * S), s.report());
    }

    private static void runUntilFailedOver(TeamScenario s, long count) {
        assertTrue(s.sim.runUntil(() -> s.team.failovers() == count, s.sim.nowNs() + 30 * S), s.report());
    }

    @Test
    void aFailoverOnCommandMidTransferMovesEveryConnectionAndNoByteIsLostDuplicatedOrReordered() {
        TeamScenario s = TeamScenario.params().seed(301).connections(30).maxBytes(400_000).rate(100_000_000)
                .batch(8).build();
        runUntilShare(s, 0.3);
        int before = s.nic0.offloadedConnections();
        assertTrue(before > 20, "offloaded to member 0: " + s.report());
        List<Integer> firstOnNewPort = new ArrayList<>();
        s.port1.outbound().observer(new LinkObserver() {
            @Override
            public void onSend(String channel, long nowNs, MemorySegment frame) {
                if (firstOnNewPort.isEmpty()) {
                    int type = Short.toUnsignedInt(frame.get(ValueLayout.JAVA_SHORT_UNALIGNED
                            .withOrder(ByteOrder.BIG_ENDIAN), 12));
                    boolean na = type == 0x86DD && frame.get(ValueLayout.JAVA_BYTE, 14 + 6) == 58
                            && (frame.get(ValueLayout.JAVA_BYTE, 14 + 40) & 0xFF) == 136;
                    firstOnNewPort.add(type == 0x0806 || na ? 1 : type);
                }
            }
        });
        s.team.failover();
        runUntilFailedOver(s, 1);
        assertEquals(1, s.team.active());
        s.sim.runUntil(() -> s.port0.outbound().inFlight() == 0, s.sim.nowNs() + S); // the old NIC's ring drains
        assertEquals(List.of(1), firstOnNewPort, "the first frame on the new link announces the move (ARP or NA)");
        s.sim.runFor(5 * MS); // frames the old NIC had queued taught the switch the old port; the new one's again
        assertSame(s.port1, s.sw.lookup(TeamScenario.MAC_A.bits()), "the switch learned the new port");
        assertEquals(List.of(StatusIndication.OFFLOAD_PAUSE, StatusIndication.UPLOAD_ALL,
                StatusIndication.OFFLOAD_RESUME), s.checker.indications());
        s.sim.runFor(3 * MS);
        assertEquals(0, s.nic0.offloadedConnections() + s.nic0.offloadedPaths() + s.nic0.offloadedNeighbors());
        assertTrue(s.nic1.offloadedConnections() > 0, "re-offloaded to member 1: " + s.report());
        assertEquals(OffloadManager.Admission.OPEN, s.manager.admission());
        assertTrue(s.run(120 * S), s.failures() + "\n" + s.report());
        assertNull(s.failures(), s.report());
        assertTrue(s.manager.counter(OffloadCounter.TERMINATES) > 1, "the upload-all took several calls");
        assertClean(s);
    }

    @Test
    void theActiveLinkFailingMidTransferFailsOverAndTheConnectionsContinue_thenFailBackOnCommand() {
        TeamScenario s = TeamScenario.params().seed(302).connections(20).maxBytes(600_000).rate(50_000_000).build();
        runUntilShare(s, 0.25);
        s.link(0, false); // the cable of member 0 is pulled
        runUntilFailedOver(s, 1);
        assertEquals(1, s.team.active());
        long got = s.received();
        s.sim.runUntil(() -> s.received() > got + 500_000, s.sim.nowNs() + 30 * S);
        assertTrue(s.received() > got + 500_000, "traffic flows through member 1: " + s.report());
        s.link(0, true);
        runUntilShare(s, 0.7);
        s.team.failover(); // back to member 0
        runUntilFailedOver(s, 2);
        assertEquals(0, s.team.active());
        assertTrue(s.run(120 * S), s.failures() + "\n" + s.report());
        assertNull(s.failures(), s.report());
        assertClean(s);
    }

    @Test
    void theMoveIsAnnouncedWithGratuitousArpAndUnsolicitedNeighborAdvertisementsFromTheTeamMac() {
        TeamScenario s = TeamScenario.params().seed(303).connections(4).ipv6Share(0.5).maxBytes(50_000).build();
        List<byte[]> seenByB = new ArrayList<>();
        s.portB.inbound().observer(new LinkObserver() {
            @Override
            public void onDeliver(String channel, long nowNs, MemorySegment frame) {
                seenByB.add(frame.toArray(ValueLayout.JAVA_BYTE));
            }
        });
        runUntilShare(s, 0.2);
        int from = seenByB.size();
        s.team.failover();
        runUntilFailedOver(s, 1);
        s.sim.runFor(MS);
        boolean arp = false;
        boolean na = false;
        ValueLayout.OfShort u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        ValueLayout.OfInt u32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        for (byte[] f : seenByB.subList(from, seenByB.size())) {
            MemorySegment m = MemorySegment.ofArray(f);
            long src = (Short.toUnsignedLong(m.get(u16, 6)) << 32) | Integer.toUnsignedLong(m.get(u32, 8));
            if (src != TeamScenario.MAC_A.bits()) {
                continue;
            }
            int type = Short.toUnsignedInt(m.get(u16, 12));
            if (type == 0x0806 && m.get(u16, 14 + 6) == 1 && m.get(u32, 14 + 14) == TeamScenario.A4.bits()
                    && m.get(u32, 14 + 24) == TeamScenario.A4.bits()) {
                arp = true; // RFC 5227 §3: a request with sender IP = target IP
            }
            if (type == 0x86DD && f[14 + 6] == 58 && (f[14 + 40] & 0xFF) == 136) {
                Ipv6Address target = Ipv6Address.ofBytes(f, 14 + 40 + 8);
                int len = Short.toUnsignedInt(m.get(u16, 14 + 4));
                boolean override = (f[14 + 44] & 0x20) != 0;
                boolean checksumOk = Checksum.verify(m, 54, len, Checksum.pseudoHeaderV6(TeamScenario.A6,
                        Ipv6Address.ALL_NODES, 58, len));
                if (target.equals(TeamScenario.A6) && override && checksumOk && (f[14 + 7] & 0xFF) == 255) {
                    na = true; // RFC 4861 §7.2.6: unsolicited, override, hop limit 255
                }
            }
        }
        assertTrue(arp, "a gratuitous ARP for " + TeamScenario.A4);
        assertTrue(na, "an unsolicited NA for " + TeamScenario.A6);
        assertTrue(s.team.addresses().contains(TeamScenario.A4), "learned: " + s.team.addresses());
        assertTrue(s.team.announcements() >= 2);
        assertTrue(s.run(60 * S), s.failures() + "\n" + s.report());
        assertNull(s.failures());
        assertClean(s);
    }

    @Test
    void failoversUnderLossWithDelayedCompletionsAndFailingAllocationsKeepEveryStreamExact() {
        for (long seed = 310; seed < 313; seed++) {
            TeamScenario s = TeamScenario.params().seed(seed).connections(16).maxBytes(200_000).lossy(0.01)
                    .rate(20_000_000).faults(2 * MS, 0.05).batch(3).build();
            runUntilShare(s, 0.2);
            s.team.failover();
            runUntilFailedOver(s, 1);
            runUntilShare(s, 0.5);
            s.link(1, false);
            runUntilFailedOver(s, 2);
            s.link(1, true);
            assertTrue(s.run(300 * S), "seed " + seed + ": " + s.failures() + "\n" + s.report());
            assertNull(s.failures(), s.report());
            assertClean(s);
            assertTrue(s.faults.completionsDelayed > 0);
        }
    }
}
