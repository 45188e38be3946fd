package dev.chimney.chimney;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The interface's own rules: tree shape and order (spec §2.10-§2.14), status sets (spec §3.0), request checks. */
class BlockListTest {

    private static BlockList neighbor(String name) {
        return BlockList.newNeighbor(new OffloadHandle(name), new NeighborOffloadState.Const(null, 0),
                new NeighborOffloadState.Cached(MacAddress.parse("02:00:00:00:00:01"), 0),
                new NeighborOffloadState.Delegated(0));
    }

    private static BlockList path(String name) {
        return BlockList.newPath(new OffloadHandle(name), new PathOffloadState.Const(IpAddress.parse("10.0.0.1"),
                IpAddress.parse("10.0.0.2")), new PathOffloadState.Cached(1500));
    }

    private static BlockList tcp(String name) {
        return BlockList.reference(StateLayer.TCP, new OffloadHandle(name), BlockList.DELEGATED);
    }

    private static String names(BlockList root) {
        return String.join(",", root.nodes().stream().map(b -> (String) b.handle().owner()).toList());
    }

    /** R-TREE-1: the reference tree N1 → {P1 → {T1, T2}, P2 → {T3}}, N2 → {P3 → {T4, T5}} in depth-first order. */
    @Test
    void R_TREE_1_depthFirstThenBreadthOrderOfTheReferenceTree() {
        BlockList n1 = neighbor("N1").dependent(path("P1").dependent(tcp("T1")).dependent(tcp("T2")))
                .dependent(path("P2").dependent(tcp("T3")));
        BlockList n2 = neighbor("N2").dependent(path("P3").dependent(tcp("T4")).dependent(tcp("T5")));
        n1.link(n2);
        assertEquals("N1,P1,T1,T2,P2,T3,N2,P3,T4,T5", names(n1));
    }

    @Test
    void layersOnlyNestNeighborPathTcp() {
        assertThrows(IllegalArgumentException.class, () -> neighbor("N").dependent(tcp("T")));
        assertThrows(IllegalArgumentException.class, () -> tcp("T").dependent(path("P")));
        assertThrows(IllegalArgumentException.class, () -> path("P").link(neighbor("N")));
        BlockList v6 = BlockList.newPath(new OffloadHandle("P6"), new PathOffloadState.Const(
                IpAddress.parse("fd00::1"), IpAddress.parse("fd00::2")), new PathOffloadState.Cached(1280));
        assertEquals(StateLayer.IPV6_PATH, v6.layer());
        path("P4").link(v6); // IPv4 and IPv6 paths may share a neighbor's dependent list
        assertThrows(IllegalArgumentException.class, () -> new PathOffloadState.Const(IpAddress.parse("10.0.0.1"),
                IpAddress.parse("fd00::2")));
    }

    @Test
    void rolesFollowTheHandleSlot() {
        BlockList p = BlockList.placeholder(StateLayer.NEIGHBOR);
        assertTrue(p.isPlaceholder());
        BlockList n = neighbor("N");
        assertTrue(n.isNewOffload());
        n.handle().miniportContext(new Object());
        assertFalse(n.isNewOffload()); // now a linker / reference
    }

    /** R-OFF-11, R-TERM-2, R-UPD-9: which statuses each operation may write. */
    @Test
    void R_OFF_11_statusSetsPerOperation() {
        for (OffloadStatus s : OffloadStatus.values()) {
            boolean initiate = s.ordinal() <= OffloadStatus.OFFLOAD_CONNECTION_REJECTED.ordinal();
            assertEquals(initiate, s.allowedFor(OffloadOperation.INITIATE), s.name());
            for (OffloadOperation op : List.of(OffloadOperation.TERMINATE, OffloadOperation.UPDATE,
                    OffloadOperation.INVALIDATE, OffloadOperation.QUERY)) {
                assertEquals(s == OffloadStatus.SUCCESS || s == OffloadStatus.FAILURE, s.allowedFor(op), s + " " + op);
            }
        }
    }

    @Test
    void sendCompletionSuccessMeansEveryByteAcknowledged() {
        SendRequest r = SendRequest.of(new byte[100]);
        assertThrows(IllegalArgumentException.class, () -> r.complete(OffloadStatus.SUCCESS, 99));
        r.complete(OffloadStatus.UPLOAD_IN_PROGRESS, 40);
        assertEquals(40, r.bytesTransferred());
        assertEquals(200, SendRequest.of(new byte[100]).append(SendRequest.of(new byte[100])).chainLength());
    }

    @Test
    void receiveIndicationResultsAreConsistent() {
        assertThrows(IllegalArgumentException.class, () -> new ReceiveIndication.Result(OffloadStatus.FAILURE, 0));
        assertThrows(IllegalArgumentException.class, () -> new ReceiveIndication.Result(
                OffloadStatus.OFFLOAD_DATA_NOT_ACCEPTED, 5));
        assertThrows(IllegalArgumentException.class, () -> new ReceiveIndication.Result(
                OffloadStatus.OFFLOAD_DATA_PARTIALLY_ACCEPTED, 0));
        assertEquals(7, ReceiveIndication.Result.all(7).bytesConsumed());
    }

    @Test
    void uploadReasonsSplitIntoMandatoryAndOptional() {
        assertTrue(UploadReason.TIMEOUT_EXPIRATION.isMandatory());
        assertTrue(UploadReason.RECEIVED_URGENT_DATA.isMandatory());
        assertFalse(UploadReason.LOW_ACTIVITY.isMandatory());
        assertThrows(IllegalArgumentException.class, () -> new TcpEvent(TcpEventType.ABORT,
                UploadReason.LOW_ACTIVITY, 0));
    }

    @Test
    void parametersRejectOddTickRates() {
        assertThrows(IllegalArgumentException.class, () -> new OffloadParameters(250, 2, 200, 5, 3, 1000, 3, 500,
                30_000));
        assertEquals(1_000_000L, OffloadParameters.DEFAULTS.tickNs());
    }
}
