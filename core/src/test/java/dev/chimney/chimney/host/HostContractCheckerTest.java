package dev.chimney.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.PathOffloadState;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.conformance.HostContractChecker;
import dev.chimney.wire.Ipv4Address;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The independent checker of the host's rules catches each broken rule (so its silence elsewhere means something). */
class HostContractCheckerTest {

    private static BlockList path(OffloadHandle h) {
        return BlockList.newPath(h, new PathOffloadState.Const(Ipv4Address.parse("10.0.0.1"),
                Ipv4Address.parse("10.0.0.2")), new PathOffloadState.Cached(1500));
    }

    private static boolean any(List<String> v, String id) {
        return v.stream().anyMatch(s -> s.startsWith(id));
    }

    @Test
    void eachBrokenRuleIsReported() {
        RecordingTarget t = new RecordingTarget();
        HostContractChecker c = new HostContractChecker(t);
        c.attach(new RecordingHost(), null);
        OffloadHandle p = new OffloadHandle("p");
        BlockList init = path(p);
        c.initiateOffload(init);
        c.initiateOffload(path(p)); // a second offload of one object
        assertTrue(any(c.violations(), "R-HOST-3"), c.violations().toString());
        c.updateOffload(BlockList.reference(StateLayer.IPV4_PATH, p, BlockList.CACHED)); // while being offloaded
        init.status(OffloadStatus.SUCCESS);
        p.miniportContext("ctx");
        c.initiateOffloadComplete(init);
        int before = c.violations().size();
        c.updateOffload(BlockList.reference(StateLayer.IPV4_PATH, p, BlockList.CACHED));
        assertEquals(before, c.violations().size(), "a legal update");
        c.updateOffload(BlockList.reference(StateLayer.IPV4_PATH, p, BlockList.CACHED));
        assertTrue(any(c.violations(), "R-HOST-4"), c.violations().toString());
        c.terminateOffload(BlockList.reference(StateLayer.IPV4_PATH, p, BlockList.DELEGATED));
        assertTrue(any(c.violations(), "R-HOST-6"), c.violations().toString());
        c.tcpSend("ctx", SendRequest.of(new byte[1])); // after the terminate was called
        assertTrue(any(c.violations(), "R-HOST-7"), c.violations().toString());
        c.tcpSend("unknown", SendRequest.of(new byte[1]));
        assertTrue(c.checkedRequests() >= 7);
    }

    /** A host that takes every completion and answers nothing. */
    private static final class RecordingHost implements dev.chimney.chimney.OffloadHost {
        @Override
        public void initiateOffloadComplete(BlockList root) {
        }

        @Override
        public void terminateOffloadComplete(BlockList root) {
        }

        @Override
        public void updateOffloadComplete(BlockList root) {
        }

        @Override
        public void invalidateOffloadComplete(BlockList root) {
        }

        @Override
        public void queryOffloadComplete(BlockList root) {
        }

        @Override
        public void sendComplete(SendRequest chain) {
        }

        @Override
        public void receiveComplete(dev.chimney.chimney.ReceiveRequest chain) {
        }

        @Override
        public void disconnectComplete(dev.chimney.chimney.DisconnectRequest request) {
        }

        @Override
        public void forwardComplete(dev.chimney.chimney.ForwardRequest chain) {
        }

        @Override
        public dev.chimney.chimney.ReceiveIndication.Result receiveIndicate(OffloadHandle connection,
                dev.chimney.chimney.ReceiveIndication data) {
            return dev.chimney.chimney.ReceiveIndication.Result.NONE;
        }

        @Override
        public void tcpEvent(OffloadHandle connection, dev.chimney.chimney.TcpEvent event) {
        }

        @Override
        public int neighborReachabilityQuery(OffloadHandle neighbor, BlockList state) {
            return 0;
        }

        @Override
        public void statusIndication(dev.chimney.chimney.StatusIndication indication,
                dev.chimney.chimney.OffloadCapabilities capabilities) {
        }
    }
}
