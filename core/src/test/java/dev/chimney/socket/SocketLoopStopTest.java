package dev.chimney.socket;

import static dev.chimney.socket.TwoHosts.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.SocketException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stopping the event loop (the stack shuts down) while application threads are blocked in socket calls: every one
 * of them must wake with "network stack stopped" instead of waiting forever, and later calls must fail at once.
 */
@Timeout(60)
class SocketLoopStopTest {
    static final long SEED = 91L;
    TwoHosts hosts;
    ExecutorService threads;

    @BeforeEach
    void start() {
        hosts = TwoHosts.realTime(SEED, TwoHosts.smallBuffers());
        threads = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
        hosts.close(); // idempotent
    }

    @Test
    void stoppingTheLoopWakesBlockedReadWriteAcceptAndConnect() throws Exception {
        TcpServerSocket server = hosts.b.newServerSocket();
        server.bind(null, 80);
        Future<TcpSocket> firstAccept = threads.submit(server::accept);
        TcpSocket reader = hosts.a.newSocket();
        reader.connect(B, 80);
        TcpSocket readerPeer = firstAccept.get(10, TimeUnit.SECONDS);
        Future<TcpSocket> secondAccept = threads.submit(server::accept);
        TcpSocket writer = hosts.a.newSocket();
        writer.connect(B, 80);
        TcpSocket writerPeer = secondAccept.get(10, TimeUnit.SECONDS); // never reads: the writer fills its buffers

        Future<Integer> blockedRead = threads.submit(() -> reader.read(new byte[100], 0, 100));
        Future<Void> blockedWrite = threads.submit(() -> {
            writer.write(new byte[4 * 1024 * 1024]);
            return null;
        });
        Future<TcpSocket> blockedAccept = threads.submit(server::accept);
        TcpSocket connecting = hosts.a.newSocket();
        hosts.onLoop(() -> hosts.wire.cut = true); // the SYN is never answered
        Future<Void> blockedConnect = threads.submit(() -> {
            connecting.connect(B, 81);
            return null;
        });
        awaitParkedCalls(4);

        hosts.close(); // stops the loop thread

        for (Future<?> f : new Future<?>[] {blockedRead, blockedWrite, blockedAccept, blockedConnect}) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS),
                    "a call blocked on a stopped loop must wake; seed " + SEED);
            SocketException cause = assertInstanceOf(SocketException.class, e.getCause());
            assertTrue(cause.getMessage().startsWith("network stack stopped"), cause.getMessage());
        }
        // later calls fail at once with the same explanation; close never hangs
        SocketException later = assertThrows(SocketException.class, () -> readerPeer.read(new byte[1], 0, 1));
        assertTrue(later.getMessage().startsWith("network stack stopped"), later.getMessage());
        SocketException laterBind = assertThrows(SocketException.class,
                () -> hosts.a.newServerSocket().bind(null, 90));
        assertTrue(laterBind.getMessage().startsWith("network stack stopped"), laterBind.getMessage());
        reader.close();
        writer.close();
        writerPeer.close();
        server.close();
    }

    /** Asks the loop (one round trip each) until {@code n} blocking calls wait on it. */
    private void awaitParkedCalls(int n) throws InterruptedException {
        int[] parked = new int[1];
        for (int i = 0; i < 100_000 && parked[0] < n; i++) {
            hosts.onLoop(() -> parked[0] = hosts.a.parkedCalls() + hosts.b.parkedCalls());
        }
        assertEquals(n, parked[0], "blocked calls parked on the loop");
    }
}
