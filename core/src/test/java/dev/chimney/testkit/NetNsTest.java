package dev.chimney.testkit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The namespace harness itself: isolation, veth pairs, timeouts, clean-up. Needs root. */
class NetNsTest {

    @BeforeEach
    void requireRoot() {
        Interop.requireRoot();
    }

    @Test
    void vethPairJoinsTwoNamespacesAndCloseDeletesThem() {
        NetNs a = NetNs.create();
        NetNs b = NetNs.create();
        try (a; b) {
            assertTrue(a.name().startsWith("chy-" + ProcessHandle.current().pid() + "-"), a.name());
            assertTrue(Files.exists(a.path()));
            NetNs.vethPair(a, "v1", b, "v2");
            a.execOk("ip", "addr", "add", "10.77.9.1/24", "dev", "v1");
            b.execOk("ip", "addr", "add", "10.77.9.2/24", "dev", "v2");
            NetNs.Result ping = a.exec("ping", "-c1", "-W2", "10.77.9.2");
            assertEquals(0, ping.exitCode(), "ping across the veth pair: " + ping);
            assertTrue(ping.stdout().contains("1 received"), ping.stdout());
            // The pair lives only in the test namespaces.
            assertTrue(a.exec("ip", "link", "show", "v2").exitCode() != 0, "v2 is not in namespace a");
        }
        assertFalse(Files.exists(a.path()), "namespace a deleted");
        assertFalse(Files.exists(b.path()), "namespace b deleted");
        assertThrows(IllegalStateException.class, () -> a.exec("true"));
    }

    @Test
    void execReportsFailureAndTimeout() {
        try (NetNs ns = NetNs.create()) {
            assertEquals(3, ns.exec("sh", "-c", "echo out; echo err >&2; exit 3").exitCode());
            NetNs.Result r = ns.exec("sh", "-c", "echo out; echo err >&2; exit 3");
            assertEquals("out\n", r.stdout());
            assertEquals("err\n", r.stderr());
            assertThrows(AssertionError.class, () -> ns.execOk("false"));
            long start = System.nanoTime();
            NetNs.Result slow = ns.exec(Duration.ofSeconds(1), "sleep", "30");
            assertEquals(124, slow.exitCode(), "timeout(1) exit status: " + slow);
            assertTrue(System.nanoTime() - start < 10_000_000_000L, "killed near its 1 s limit");
        }
    }

    @Test
    void spawnedProcessesDieWithTheNamespace() {
        Process p;
        try (NetNs ns = NetNs.create()) {
            p = ns.spawn(Duration.ofSeconds(60), "sleep", "60");
            assertTrue(p.isAlive());
        }
        assertFalse(p.isAlive(), "spawned process killed on close");
    }
}
