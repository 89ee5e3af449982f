package com.example.orders;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

/**
 * Order mailer: exception messages that span lines.
 *
 * <p>JavaMail (the real library, talking SMTP to a small in-process server that refuses one recipient) throws a
 * SendFailedException whose toString() carries its nested exceptions on further lines ("Invalid Addresses;",
 * "  nested exception is:", a tab and the nested exception, whose message is the server's reply ending in a newline,
 * hence an empty line before the frames). Wrapped in a RuntimeException, the first line of the trace is
 * "java.lang.RuntimeException: javax.mail.SendFailedException: Invalid Addresses;".
 *
 * <p>Then java.util.logging with a one-line formatter that ends the line with the exception's simple name and
 * message and prints each frame indented with two spaces ("  at com.example..."), a shape some services log in.
 */
public class Mailer {
    private static final DateTimeFormatter JUL_TIME =
            DateTimeFormatter.ofPattern("MMM dd, yyyy h:mm:ss a", Locale.US).withZone(ZoneOffset.UTC);
    private static final Instant START = Instant.parse("2026-11-29T05:14:00Z");
    private static final AtomicLong TICKS = new AtomicLong();

    static void info(String time, String message) {
        System.out.println("2026-11-29 05:14:" + time + " INFO  [main] mailer - " + message);
        System.out.flush();
    }

    /** Answers SMTP until QUIT; RCPT TO for nobody@ gets 550. */
    static void smtpServer(ServerSocket listener) {
        try (Socket socket = listener.accept();
                BufferedReader in = new BufferedReader(
                        new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                PrintWriter out = new PrintWriter(
                        new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.US_ASCII))) {
            out.print("220 mx.example.com ESMTP\r\n");
            out.flush();
            String line;
            while ((line = in.readLine()) != null) {
                String command = line.toUpperCase(Locale.ROOT);
                if (command.startsWith("EHLO") || command.startsWith("HELO")) {
                    out.print("250 mx.example.com\r\n");
                } else if (command.startsWith("RCPT TO:") && command.contains("NOBODY@")) {
                    out.print("550 5.1.1 <nobody@example.com>... User unknown\r\n");
                } else if (command.startsWith("QUIT")) {
                    out.print("221 2.0.0 Bye\r\n");
                    out.flush();
                    return;
                } else {
                    out.print("250 2.0.0 OK\r\n");
                }
                out.flush();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void sendReceipt(int port, String order, String to) throws MessagingException {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(port));
        props.put("mail.smtp.localhost", "orders.example.com");
        Session session = Session.getInstance(props);
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress("orders@example.com"));
        message.setRecipients(Message.RecipientType.TO, InternetAddress.parse(to));
        message.setSubject("Receipt for order " + order);
        message.setText("Thank you for your order.");
        Transport.send(message);
    }

    static void notifyCustomer(int port, String order, String to) {
        try {
            sendReceipt(port, order, to);
        } catch (MessagingException e) {
            throw new RuntimeException(e);
        }
    }

    static final class OneLineFormatter extends Formatter {
        @Override
        public String format(LogRecord record) {
            StringBuilder line = new StringBuilder();
            line.append(JUL_TIME.format(record.getInstant())).append(' ').append(record.getSourceClassName());
            line.append(": ");
            Throwable thrown = record.getThrown();
            if (thrown == null) {
                line.append(formatMessage(record));
            } else {
                line.append(thrown.getClass().getSimpleName()).append(": ").append(thrown.getMessage());
                for (StackTraceElement frame : thrown.getStackTrace()) {
                    line.append("\n  at ").append(frame);
                }
            }
            return line.append('\n').toString();
        }
    }

    static void feed(Logger log, String batch) {
        throw new RuntimeException("feed batch " + batch + " rejected");
    }

    public static void main(String[] args) throws Exception {
        info("00.000", "mailer starting");
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> smtpServer(listener), "smtp");
            server.start();
            info("00.250", "sending receipt for order 1042");
            try {
                notifyCustomer(listener.getLocalPort(), "1042", "nobody@example.com");
            } catch (RuntimeException e) {
                e.printStackTrace();
            }
            server.join();
        }

        Logger log = Logger.getLogger("com.example.orders.Feeder");
        log.setUseParentHandlers(false);
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new OneLineFormatter());
        log.addHandler(handler);
        log.setFilter(record -> {
            record.setInstant(START.plusMillis(1125 * TICKS.getAndIncrement()));
            return true;
        });
        info("01.500", "feeding batch 77");
        log.logp(Level.INFO, "com.example.orders.Feeder", "feed", "batch 77: 120 items");
        try {
            feed(log, "77");
        } catch (RuntimeException e) {
            log.logp(Level.SEVERE, "com.example.orders.Feeder", "feed", "feed failed", e);
        }
        info("03.000", "mailer finished with 2 errors");
    }
}
