package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.SendRequest;
import dev.chimney.tcp.TcpConnection;
import org.junit.jupiter.api.Test;

/** Spec §8.3 (trees, block lists, handles) and §8.4 (initiate offload). */
abstract class InitiateConformance extends ConformanceBase {

    @Test
    void rOff1_rInit5_rTerm1_offloadTransferTerminateAndUploadBack() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        w.hostWrite(c, ChimneyWorld.pattern(3000, 1));
        w.run(50 * MS);
        ChimneyWorld.Offloaded o = w.offload(c);
        byte[] up = ChimneyWorld.pattern(200_000, 2);
        w.send(o, java.util.Arrays.copyOfRange(up, 0, 100_000), java.util.Arrays.copyOfRange(up, 100_000, 200_000));
        byte[] down = ChimneyWorld.pattern(150_000, 3);
        w.peerLoop.execute(() -> c.peerEnd.connection.write(down));
        w.runUntil(() -> c.peerEnd.received.size() == 203_000, 20 * S, "upload stream at the peer");
        w.runUntil(() -> w.rec.sends.size() == 2, 5 * S, "send completions");
        for (SendRequest r : w.rec.sends) {
            assertEquals(OffloadStatus.SUCCESS, r.status());
        }
        w.runUntil(() -> w.delivered(o).length == 150_000, 20 * S, "download stream at the host");
        BlockList t = w.terminate(o);
        for (BlockList b : t.nodes()) {
            assertEquals(OffloadStatus.SUCCESS, b.status(), b.toString());
        }
        assertNull(ChimneyWorld.tcpNode(t).sendChain(), "everything acknowledged: no chain (R-TERM-11)");
        TcpConnection back = w.uploadBack(o, t);
        byte[] more = ChimneyWorld.pattern(5000, 4);
        w.hostLoop.execute(() -> w.hostWrite(c, more));
        w.peerLoop.execute(() -> c.peerEnd.connection.write(more));
        w.runUntil(() -> c.peerEnd.received.size() == 208_000 && c.hostEnd.received.size() == 5000, 10 * S,
                "traffic after the upload");
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray());
        byte[] hostGot = concat(w.delivered(o), c.hostEnd.received.toByteArray());
        assertArrayEquals(concat(down, more), hostGot);
        assertTrue(back.state().isSynchronized());
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
