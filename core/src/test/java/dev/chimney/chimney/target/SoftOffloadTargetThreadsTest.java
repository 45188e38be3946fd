package dev.chimney.chimney.target;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.NeighborOffloadState;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadHost;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.PathOffloadState;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.LoopBridge;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopThread;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.runtime.SystemClock;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpDelegated;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.TcpSnapshot;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.MacAddress;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The soft target on real threads, as under {@code chimney run}: the host stack, the target and a peer stack each
 * on its own {@link LoopThread}, the target between them (its link a {@link LoopBridge} to the peer). A connection
 * set up through the pass-through is offloaded, carries a megabyte each way through the target's engine, and is
 * terminated: every request and callback crosses loops only as messages.
 */
class SoftOffloadTargetThreadsTest {
    static final MacAddress MAC_A = MacAddress.parse("02:77:00:00:00:0a");
    static final MacAddress MAC_B = MacAddress.parse("02:77:00:00:00:0b");

    /** The host side of the chimney for this test: collects delivered bytes, completes futures. */
    static final class Host implements OffloadHost {
        final ByteArrayOutputStream delivered = new ByteArrayOutputStream();
        final CompletableFuture<BlockList> initiated = new CompletableFuture<>();
        final CompletableFuture<BlockList> terminated = new CompletableFuture<>();
        final CompletableFuture<SendRequest> sent = new CompletableFuture<>();
        volatile SoftOffloadTarget target;
        EventLoop loop;

        private void onLoop() {
            assertTrue(loop.inLoopThread(), "callbacks run on the host loop");
        }

        @Override
        public void initiateOffloadComplete(BlockList root) {
            onLoop();
            initiated.complete(root);
        }

        @Override
        public void terminateOffloadComplete(BlockList root) {
            onLoop();
            terminated.complete(root);
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
            onLoop();
            for (SendRequest r = chain; r != null; r = r.next()) {
                assertEquals(OffloadStatus.SUCCESS, r.status());
                sent.complete(r);
            }
        }

        @Override
        public void receiveComplete(ReceiveRequest chain) {
        }

        @Override
        public void disconnectComplete(DisconnectRequest request) {
        }

        @Override
        public void forwardComplete(ForwardRequest chain) {
        }

        @Override
        public ReceiveIndication.Result receiveIndicate(OffloadHandle connection, ReceiveIndication data) {
            onLoop();
            delivered.write(data.buffer(), data.offset(), data.length());
            target.tcpReceiveReturn(data);
            return ReceiveIndication.Result.all(data.length());
        }

        @Override
        public void tcpEvent(OffloadHandle connection, TcpEvent event) {
        }

        @Override
        public int neighborReachabilityQuery(OffloadHandle neighbor, BlockList state) {
            return 0;
        }

        @Override
        public void statusIndication(StatusIndication indication, OffloadCapabilities capabilities) {
        }
    }

    @Test
    void offloadTransferAndTerminateAcrossThreeLoopThreads() throws Exception {
        EventLoop hostLoop = new EventLoop("host", SystemClock.INSTANCE);
        EventLoop targetLoop = new EventLoop("target", SystemClock.INSTANCE);
        EventLoop peerLoop = new EventLoop("peer", SystemClock.INSTANCE);
        LoopBridge wire = LoopBridge.of("wire", targetLoop, peerLoop);
        SoftOffloadTarget target = SoftOffloadTarget.builder(targetLoop, wire.a()).hostLoop(hostLoop).mac(MAC_A)
                .random(new SeededRandom(7)).build();
        Host host = new Host();
        host.target = target;
        host.loop = hostLoop;
        target.attach(host, hostLoop);
        target.configure(target.capabilities(), OffloadParameters.DEFAULTS);
        TcpConfig tcp = TcpConfig.builder().sendBufferBytes(256 * 1024).receiveBufferBytes(256 * 1024).build();
        NetworkStack h = NetworkStack.builder(hostLoop).seed(1).tcpConfig(tcp).iface(target.hostPort(),
                InterfaceConfig.of("a0", MAC_A).withIpv4("10.77.0.1/24")).build();
        NetworkStack p = NetworkStack.builder(peerLoop).seed(2).tcpConfig(tcp).iface(wire.b(),
                InterfaceConfig.of("b0", MAC_B).withIpv4("10.77.0.2/24")).build();
        byte[] up = new byte[1 << 20];
        byte[] down = new byte[1 << 20];
        new SeededRandom(3).nextBytes(up);
        new SeededRandom(4).nextBytes(down);
        ByteArrayOutputStream atPeer = new ByteArrayOutputStream();
        CountDownLatch peerDone = new CountDownLatch(1);
        AtomicReference<TcpConnection> peerConn = new AtomicReference<>();
        try (LoopThread ht = LoopThread.start(hostLoop); LoopThread tt = LoopThread.start(targetLoop);
                LoopThread pt = LoopThread.start(peerLoop)) {
            CompletableFuture<Void> listening = new CompletableFuture<>();
            peerLoop.execute(() -> {
                p.listen(5001, (TcpListener l) -> {
                    TcpConnection c = l.accept();
                    peerConn.set(c);
                    c.listener(new TcpConnection.Listener() {
                        @Override
                        public void onReadable(TcpConnection conn) {
                            byte[] buf = new byte[65536];
                            int n;
                            while ((n = conn.read(buf, 0, buf.length)) > 0) {
                                atPeer.write(buf, 0, n);
                            }
                            if (atPeer.size() == up.length) {
                                peerDone.countDown();
                            }
                        }
                    });
                });
                listening.complete(null);
            });
            listening.get(5, TimeUnit.SECONDS);
            CompletableFuture<TcpConnection> established = new CompletableFuture<>();
            hostLoop.execute(() -> {
                TcpConnection c = h.connect(Ipv4Address.parse("10.77.0.2"), 5001, new TcpConnection.Listener() {
                    @Override
                    public void onConnected(TcpConnection conn) {
                        established.complete(conn);
                    }
                });
                assertTrue(c != null);
            });
            TcpConnection hc = established.get(10, TimeUnit.SECONDS);
            OffloadHandle nh = new OffloadHandle("n");
            OffloadHandle ph = new OffloadHandle("p");
            OffloadHandle th = new OffloadHandle("t");
            CompletableFuture<BlockList> tree = new CompletableFuture<>();
            hostLoop.execute(() -> {
                TcpSnapshot s = hc.export();
                hc.detach();
                TcpDelegated d = s.delegated();
                SendRequest chain = d.sendDataLength() == 0 ? null : SendRequest.of(d.sendData());
                BlockList root = BlockList.newNeighbor(nh, new NeighborOffloadState.Const(null, 0),
                        new NeighborOffloadState.Cached(MAC_B, 0), new NeighborOffloadState.Delegated(0))
                        .dependent(BlockList.newPath(ph, new PathOffloadState.Const(s.localAddress(),
                                s.remoteAddress()), new PathOffloadState.Cached(s.pathMtu()))
                                .dependent(BlockList.newTcp(th, s.constants(), s.cached(),
                                        d.withData(new byte[0], d.receivedData()), chain)));
                target.initiateOffload(root);
                tree.complete(root);
            });
            BlockList root = host.initiated.get(10, TimeUnit.SECONDS);
            for (BlockList b : root.nodes()) {
                assertEquals(OffloadStatus.SUCCESS, b.status());
            }
            hostLoop.execute(() -> target.tcpSend(th.miniportContext(), SendRequest.of(up)));
            // the host is ESTABLISHED when the SYN,ACK arrives; the peer accepts only when the host's ACK does
            long acceptDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (peerConn.get() == null && System.nanoTime() < acceptDeadline) {
                Thread.sleep(1);
            }
            assertTrue(peerConn.get() != null, "the peer accepted the connection");
            // a write takes what fits the send buffer (it starts small and grows, TcpConfig.initialSendBufferBytes)
            for (int at = 0; at < down.length; ) {
                int from = at;
                int n = Math.min(200_000, down.length - at);
                CompletableFuture<Integer> wrote = new CompletableFuture<>();
                peerLoop.execute(() -> wrote.complete(peerConn.get().write(down, from, n)));
                at += wrote.get(5, TimeUnit.SECONDS);
                Thread.sleep(5);
            }
            assertTrue(peerDone.await(30, TimeUnit.SECONDS), "the peer got the megabyte");
            host.sent.get(10, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                CompletableFuture<Integer> size = new CompletableFuture<>();
                hostLoop.execute(() -> size.complete(host.delivered.size()));
                if (size.get(5, TimeUnit.SECONDS) == down.length) {
                    break;
                }
                Thread.sleep(10);
            }
            CompletableFuture<byte[]> got = new CompletableFuture<>();
            hostLoop.execute(() -> got.complete(host.delivered.toByteArray()));
            assertArrayEquals(down, got.get(5, TimeUnit.SECONDS), "the host got the megabyte");
            assertArrayEquals(up, atPeer.toByteArray());
            BlockList t = BlockList.reference(StateLayer.TCP, th, BlockList.DELEGATED);
            hostLoop.execute(() -> target.terminateOffload(t));
            BlockList done = host.terminated.get(10, TimeUnit.SECONDS);
            assertEquals(OffloadStatus.SUCCESS, done.status());
            assertEquals(tree.get().nodes().size(), 3);
        }
    }
}
