package dev.tropism.engine;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The engine is a plain library: no Spring, no Jakarta, and no other Tropism package. */
class EngineHasNoSpringTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.tropism");
    }

    private static ArchRule isolated(String pkg) {
        return noClasses().that().resideInAPackage(pkg + "..")
                .should().dependOnClassesThat(resideInAnyPackage("org.springframework..", "jakarta..")
                        .or(resideInAPackage("dev.tropism..").and(not(resideInAPackage(pkg + "..")))))
                .because("the engine must stay a plain library that the service drives");
    }

    @Test
    void engineDependsOnNeitherSpringNorJakartaNorTheService() {
        assertTrue(classes.stream().anyMatch(c -> c.getName().equals("dev.tropism.engine.rl.GrpoRun")),
                "the engine's classes must be imported, or the rule checks nothing");
        isolated("dev.tropism.engine").check(classes);
    }

    @Test
    void theRuleCatchesAPackageThatUsesSpring() {
        // The same rule applied to the service's jobs package (Spring-managed) must fail.
        assertThrows(AssertionError.class, () -> isolated("dev.tropism.jobs").check(classes));
    }
}
