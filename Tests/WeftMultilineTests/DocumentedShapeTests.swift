import Testing
import WeftMultiline
import WeftTestSupport

/// Shapes the built-ins accept that no capture in `Samples/` shows, because the runtime or library version that
/// prints them is not packaged here: each trace must come out whole, as one record of its parser, between two
/// ordinary lines.
@Suite struct DocumentedShapeTests {
    static let shapes: [(parser: String, trace: String)] = [
        // A Rails entry whose frames a formatter indented, as issue 16 quotes it (Rails 6.1 prints them at column 0).
        (
            "ruby",
            """
            F, [2026-03-14T10:11:34.120000 #1029] FATAL -- :\u{20}\u{20}
            ActionController::RoutingError (No route matches [GET] "/admin/settings"):
            \u{20}\u{20}
              app/controllers/admin_controller.rb:9:in 'recognize'
              app/controllers/application_controller.rb:21:in 'around_request'
            """
        ),
        // Go 1.23+ indents a panic value's further lines with a tab.
        (
            "go",
            """
            panic: invalid deployment spec:
            \tfield 'replicas': must be >= 1
            \tfield 'image': must not be empty

            goroutine 1 [running]:
            main.main()
            \t/app/main.go:50 +0x233
            exit status 2
            """
        ),
        // Rails with Bundler: the backtrace cleaner names a framework frame's gem and version ("actionpack (7.1.3)"),
        // Ruby 3.4 quotes the method with a single quote.
        (
            "ruby",
            """
            F, [2026-11-29T05:40:01.125000 #1029] FATAL -- : [9f1c2d3e]\u{20}\u{20}\u{20}
            [9f1c2d3e] ActionController::RoutingError (No route matches [GET] "/admin/settings"):
            [9f1c2d3e]\u{20}\u{20}\u{20}
            [9f1c2d3e] actionpack (7.1.3) lib/action_dispatch/middleware/debug_exceptions.rb:34:in 'Object#call'
            [9f1c2d3e] railties (7.1.3) lib/rails/rack/logger.rb:37:in 'Rails::Rack::Logger#call_app'
            """
        ),
        // java.util.logging's SimpleFormatter with JavaMail's exception, whose message ends with a newline.
        (
            "java",
            """
            Nov 29, 2026 5:14:02 AM com.example.orders.Mailer notifyCustomer
            SEVERE: receipt for order 1042 not sent
            javax.mail.SendFailedException: Invalid Addresses;
              nested exception is:
            \tcom.sun.mail.smtp.SMTPAddressFailedException: 550 5.1.1 <nobody@example.com>... User unknown

            \tat com.sun.mail.smtp.SMTPTransport.rcptTo(SMTPTransport.java:2064)
            \tat com.example.orders.Mailer.main(Mailer.java:134)

            """
        ),
        // Dart pads the frame index to six columns: from #10 on, five spaces.
        (
            "dart",
            """
            Unhandled exception:
            Exception: boom
            #0      Job.fail (package:jobs/src/job.dart:12:5)
            #1      Job.run (package:jobs/src/job.dart:8:5)
            #2      main.<anonymous closure> (file:///app/bin/server.dart:15:20)
            #3      _rootRunUnary (dart:async/zone.dart:1407:47)
            #4      _CustomZone.runUnary (dart:async/zone.dart:1308:19)
            #5      _FutureListener.handleValue (dart:async/future_impl.dart:162:18)
            #6      Future._propagateToListeners.handleValueCallback (dart:async/future_impl.dart:846:45)
            #7      Future._propagateToListeners (dart:async/future_impl.dart:875:13)
            #8      Future._completeWithValue (dart:async/future_impl.dart:647:5)
            #9      _completeOnAsyncReturn (dart:async-patch/async_patch.dart:294:13)
            #10     _rootRun (dart:async/zone.dart:1399:13)
            #11     _RawReceivePort._handleMessage (dart:isolate-patch/isolate_patch.dart:192:12)

            """
        ),
    ]

    @Test(arguments: shapes.indices)
    func traceIsOneRecord(index: Int) throws {
        let (parser, trace) = Self.shapes[index]
        var h = try EngineHarness()
        h.push("2026-11-29 05:00:00 INFO starting")
        h.pushLines(trace)
        h.push("2026-11-29 05:00:01 INFO next request")
        let records = h.finish()
        #expect(
            records.map(\.body) == [
                "2026-11-29 05:00:00 INFO starting", trace, "2026-11-29 05:00:01 INFO next request",
            ])
        #expect(records.map(\.parser) == [nil, parser, nil])
    }
}
