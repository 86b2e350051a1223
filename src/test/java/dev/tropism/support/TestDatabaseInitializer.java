package dev.tropism.support;

import java.io.IOException;
import java.net.URI;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /**
     * Set to {@code true} (e.g. {@code @TestPropertySource(properties = ...)}) to route the application's
     * datasource through a {@link TcpProxy}, registered as a bean, that the test can cut and restore.
     */
    public static final String DATABASE_PROXY_PROPERTY = "tropism.test.database-proxy";

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
            try {
                pg.start();
                return new Server(pg.getJdbcUrl(), pg.getUsername(), pg.getPassword());
            } catch (RuntimeException e) {
                // A daemon that cannot pull or run the image (no registry access, say): use the local server.
                System.err.println("Testcontainers PostgreSQL did not start (" + e + "); using " + LOCAL_ADMIN_URL);
                pg.close();
            }
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
        String url = s.urlOf(database);
        TcpProxy proxy = null;
        if (context.getEnvironment().getProperty(DATABASE_PROXY_PROPERTY, Boolean.class, false)) {
            URI target = URI.create(url.substring("jdbc:".length()));
            proxy = new TcpProxy(target.getHost(), target.getPort() < 0 ? 5432 : target.getPort());
            url = url.replaceFirst("//" + Pattern.quote(target.getRawAuthority()) + "/",
                    Matcher.quoteReplacement("//127.0.0.1:" + proxy.port() + "/"));
            context.getBeanFactory().registerSingleton("testDatabaseProxy", proxy);
        }
        Map<String, Object> props = new HashMap<>();
        props.put("spring.datasource.url", url);
        props.put("spring.datasource.username", s.user());
        props.put("spring.datasource.password", s.password());
        props.put("tropism.data-dir", dataDir.toString());
        context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("tropismTestDatabase", props));
        TcpProxy databaseProxy = proxy;
        context.addApplicationListener(event -> {
            if (event instanceof ContextClosedEvent && ((ContextClosedEvent) event).getApplicationContext() == context) {
                if (databaseProxy != null) {
                    databaseProxy.close();
                }
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
