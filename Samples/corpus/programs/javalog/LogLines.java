import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Ordinary lines from Logback: the pattern is chosen by logback.configurationFile (Spring Boot's, Logback's default). */
public class LogLines {
    public static void main(String[] args) {
        Logger app = LoggerFactory.getLogger("com.example.shop.ShopApplication");
        Logger web = LoggerFactory.getLogger("org.springframework.boot.web.embedded.tomcat.TomcatWebServer");
        Logger pool = LoggerFactory.getLogger("com.zaxxer.hikari.HikariDataSource");
        Logger orders = LoggerFactory.getLogger("com.example.shop.orders.OrderService");
        app.info("Starting ShopApplication v1.4.2 using Java 17.0.15 with PID 4242");
        app.info("No active profile set, falling back to 1 default profile: \"default\"");
        web.info("Tomcat initialized with port(s): 8080 (http)");
        pool.info("HikariPool-1 - Starting...");
        pool.info("HikariPool-1 - Start completed.");
        orders.warn("Order 1042 has no shipping address, using billing address");
        orders.error("Payment declined for order 1043: insufficient funds");
        orders.info("Retrying after java.net.SocketTimeoutException in PaymentClient (attempt 2)");
        orders.info("Exception handling is configured at com.example.shop.config.ErrorConfig");
        app.info("Started ShopApplication in 3.812 seconds (process running for 4.3)");
        web.debug("Tomcat started on port(s): 8080 (http) with context path ''");
    }
}
