package dev.tropism.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.env.MapPropertySource;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * Gives each Spring application context its own new PostgreSQL database and data directory, and
 * removes both when the context closes.
 */
public class TestDatabaseInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    /** Where databases are created when Docker is unavailable. */
    public static final String LOCAL_ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    public static final String LOCAL_USER = "postgres";

    private static volatile Server server;

    /** A PostgreSQL server on which this JVM may create databases. */
    record Server(String adminUrl, String user, String password) {

        String urlOf(String database) {
            int slash = adminUrl.lastIndexOf('/');
            int query = adminUrl.indexOf('?', slash);
            return adminUrl.substring(0, slash + 1) + database + (query < 0 ? "" : adminUrl.substring(query));
        }

        void execute(String sql) {
            try (Connection c = DriverManager.getConnection(adminUrl, user, password);
                 Statement s = c.createStatement()) {
                s.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException("Test database setup failed: " + sql, e);
            }
        }
    }

    static Server server() {
        Server s = server;
        if (s == null) {
            synchronized (TestDatabaseInitializer.class) {
                s = server;
                if (s == null) {
                    s = startServer();
                    server = s;
                }
            }
        }
        return s;
    }

    private static Server startServer() {
        if (dockerAvailable()) {
            PostgreSQLContainer<?> pg = new PostgreSQLContainer<>("postgres:16-alpine");
            pg.start();
            return new Server(pg.getJdbcUrl(), pg.getUsername(), pg.getPassword());
        }
        return new Server(LOCAL_ADMIN_URL, LOCAL_USER, "");
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        Server s = server();
        String database = "tropism_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
        s.execute("CREATE DATABASE " + database);
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("tropism-test-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, Object> props = new HashMap<>();
        props.put("spring.datasource.url", s.urlOf(database));
        props.put("spring.datasource.username", s.user());
        props.put("spring.datasource.password", s.password());
        props.put("tropism.data-dir", dataDir.toString());
        context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("tropismTestDatabase", props));
        context.addApplicationListener(event -> {
            if (event instanceof ContextClosedEvent && ((ContextClosedEvent) event).getApplicationContext() == context) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
                deleteTree(dataDir);
            }
        });
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: it is a temp dir
        }
    }
}
