package dev.chimney;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the packages layered as the design says (wire → link → ip → tcp → chimney → socket → host → apps, runtime
 * beside them): dependencies point one way only, so the TCP engine can later run inside an offload target without
 * dragging the host along, and wire formats stay usable on their own. The host assembles everything below it,
 * the socket layer included ({@code NetworkStack.sockets()}).
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.chimney");
        // An importer that cannot read this JDK's class files would yield nothing and every rule would pass.
        org.junit.jupiter.api.Assertions.assertTrue(classes.size() > 100 && classes.contain(
                "dev.chimney.tcp.TcpConnection"), "ArchUnit imported only " + classes.size() + " classes");
    }

    @Test
    void layersOnlyDependDownwards() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("wire").definedBy("dev.chimney.wire..")
                .layer("runtime").definedBy("dev.chimney.runtime..")
                .layer("link").definedBy("dev.chimney.link..")
                .layer("ip").definedBy("dev.chimney.ip..")
                .layer("tcp").definedBy("dev.chimney.tcp..")
                .layer("chimney").definedBy("dev.chimney.chimney..")
                .layer("host").definedBy("dev.chimney.host..")
                .layer("socket").definedBy("dev.chimney.socket..")
                .layer("apps").definedBy("dev.chimney.apps..")
                .whereLayer("apps").mayNotBeAccessedByAnyLayer()
                .whereLayer("host").mayOnlyBeAccessedByLayers("apps")
                .whereLayer("socket").mayOnlyBeAccessedByLayers("host", "apps")
                .whereLayer("chimney").mayOnlyBeAccessedByLayers("socket", "host", "apps")
                .whereLayer("tcp").mayOnlyBeAccessedByLayers("chimney", "host", "socket", "apps")
                .whereLayer("ip").mayOnlyBeAccessedByLayers("tcp", "chimney", "host", "socket", "apps")
                .whereLayer("link").mayOnlyBeAccessedByLayers("ip", "tcp", "chimney", "host", "socket", "apps")
                .check(classes);
    }

    @Test
    void wireAndRuntimeDependOnNoOtherChimneyPackage() {
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses().that().resideInAPackage("dev.chimney.wire..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.chimney.runtime..", "dev.chimney.link..",
                        "dev.chimney.ip..", "dev.chimney.tcp..", "dev.chimney.host..", "dev.chimney.socket..",
                        "dev.chimney.apps..")
                .check(classes);
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses().that()
                .resideInAPackage("dev.chimney.runtime..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.chimney.wire..", "dev.chimney.link..",
                        "dev.chimney.ip..", "dev.chimney.tcp..", "dev.chimney.host..", "dev.chimney.socket..",
                        "dev.chimney.apps..")
                .check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.chimney.(*)..").should().beFreeOfCycles().check(classes);
    }
}
