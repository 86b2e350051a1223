package dev.tropism;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;
import org.springframework.modulith.docs.Documenter;

/**
 * The top-level packages under {@code dev.tropism} are Spring Modulith application modules: no cycles, and a module
 * uses only the published API (its top-level package) of another. Writes the module diagrams into
 * {@code docs/architecture/} (PlantUML, C4).
 *
 * <p>{@code engine} is left out of the module model on purpose: it is a plain library on DJL, not a Spring module,
 * and every service module may use its public types. {@code EngineHasNoSpringTest} verifies that it depends on
 * neither Spring nor any other Tropism package.
 */
class ModulesTest {

    static final ApplicationModules MODULES = ApplicationModules.of(TropismApplication.class,
            JavaClass.Predicates.resideInAPackage("dev.tropism.engine.."));

    @Test
    void modulesHaveNoCyclesAndUseOnlyEachOthersPublishedApi() {
        assertThat(MODULES.stream().map(m -> m.getName())).contains("jobs", "models", "datasets", "rewards", "serving", "storage");
        MODULES.verify();
    }

    @Test
    void writesTheModuleDocumentation() throws Exception {
        Path out = Path.of("docs", "architecture");
        new Documenter(MODULES, Documenter.Options.defaults().withOutputFolder(out.toString()))
                .writeModulesAsPlantUml()
                .writeIndividualModulesAsPlantUml()
                .writeModuleCanvases();
        assertThat(out.resolve("components.puml")).isRegularFile();
        try (var files = Files.list(out)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".puml") || f.toString().endsWith(".adoc")).toList()) {
                Files.write(f, stableOrder(Files.readAllLines(f)));
            }
        }
    }

    /**
     * The lines with each run of consecutive {@code Rel(...)} or {@code Component(...)} declarations, and each
     * canvas list of types ({@code |* `…`} then {@code * `…`} lines), sorted: the Documenter emits them in hash
     * order, and the committed documentation should change only when the modules do.
     */
    static List<String> stableOrder(List<String> lines) {
        List<String> out = new ArrayList<>(lines);
        for (int i = 0; i < out.size(); i++) {
            if (!out.get(i).startsWith("|* `")) {
                continue;
            }
            int j = i + 1;
            while (j < out.size() && out.get(j).startsWith("* `")) {
                j++;
            }
            List<String> items = new ArrayList<>(out.subList(i, j));
            items.set(0, items.get(0).substring(1));
            Collections.sort(items);
            items.set(0, "|" + items.get(0));
            for (int k = i; k < j; k++) {
                out.set(k, items.get(k - i));
            }
        }
        int i = 0;
        while (i < out.size()) {
            String kind = declaration(out.get(i));
            int j = i;
            while (kind != null && j < out.size() && kind.equals(declaration(out.get(j)))) {
                j++;
            }
            if (j > i + 1) {
                List<String> run = new ArrayList<>(out.subList(i, j));
                Collections.sort(run);
                for (int k = i; k < j; k++) {
                    out.set(k, run.get(k - i));
                }
            }
            i = Math.max(j, i + 1);
        }
        return out;
    }

    private static String declaration(String line) {
        String t = line.strip();
        return t.startsWith("Rel(") ? "Rel" : t.startsWith("Component(") ? "Component" : null;
    }
}
