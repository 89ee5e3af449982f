// Invoices: the shapes of .NET exception reports on Mono. Caught exceptions are printed with
// Console.Error.WriteLine(e), which is Exception.ToString(), the same text the runtime prints for an unhandled
// exception; the last one in "exceptions" mode is really unhandled.
//
//   mono --debug Invoices.exe exceptions | logger
using System;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;

namespace Acme.Billing
{
    public class InvoiceException : Exception
    {
        public InvoiceException(string message, Exception inner) : base(message, inner) { }
    }

    static class Log
    {
        static readonly DateTime Start = new DateTime(2026, 11, 29, 6, 10, 0, DateTimeKind.Utc);
        static int tick;

        static DateTime Next() { return Start.AddMilliseconds(1125 * tick++); }

        // Marker lines.
        public static void Info(string message)
        {
            Console.Error.WriteLine(Next().ToString("yyyy-MM-dd HH:mm:ss.fff") + " INFO  invoices: " + message);
        }

        // Serilog's console layout: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message}{NewLine}{Exception}".
        public static void Serilog(string level, string message, Exception e)
        {
            Console.Error.WriteLine("[" + Next().ToString("HH:mm:ss") + " " + level + "] " + message);
            Console.Error.WriteLine(e);
        }

        // NLog's "${longdate}|${level:uppercase=true}|${logger}|${message} ${exception:format=tostring}".
        public static void NLog(string level, string logger, string message, Exception e)
        {
            Console.Error.WriteLine(Next().ToString("yyyy-MM-dd HH:mm:ss.ffff") + "|" + level + "|" + logger + "|" + message + " " + e);
        }
    }

    static class Program
    {
        static int ParseAmount(string text) { return int.Parse(text); }

        static void LoadInvoice(string id, string amount)
        {
            try
            {
                ParseAmount(amount);
            }
            catch (FormatException e)
            {
                throw new InvoiceException("cannot load invoice " + id, e);
            }
        }

        static async Task<decimal> FetchRateAsync(string currency)
        {
            await Task.Delay(1);
            throw new InvalidOperationException("no exchange rate for " + currency);
        }

        static async Task<decimal> ConvertAsync(decimal amount, string currency)
        {
            return amount * await FetchRateAsync(currency);
        }

        static void Validate(string id)
        {
            throw new ArgumentException("invoice " + id + " is invalid:\n  - customer is missing\n  - total is negative", "invoice");
        }

        static void Print(Exception e) { Console.Error.WriteLine(e); }

        static void Exceptions()
        {
            Log.Info("invoice service 1.4.0 starting");

            Log.Info("loading invoice INV-1");
            try { LoadInvoice("INV-1", "12,50"); } catch (Exception e) { Print(e); }

            Log.Info("replaying the failure captured for INV-2");
            ExceptionDispatchInfo captured = null;
            try { LoadInvoice("INV-2", "n/a"); } catch (Exception e) { captured = ExceptionDispatchInfo.Capture(e); }
            try { captured.Throw(); } catch (Exception e) { Print(e); }

            Log.Info("converting INV-3 to CHF (Task.Wait)");
            try { ConvertAsync(10m, "CHF").Wait(); } catch (Exception e) { Print(e); }

            Log.Info("converting INV-4 to JPY (await)");
            try { ConvertAsync(10m, "JPY").GetAwaiter().GetResult(); } catch (Exception e) { Print(e); }

            Log.Info("converting INV-5 to two currencies (Task.WaitAll)");
            try
            {
                Task.WaitAll(
                    Task.Run(() => ConvertAsync(5m, "SEK")),
                    Task.Run(() => { ParseAmount("--"); }));
            }
            catch (Exception e) { Print(e); }

            Log.Info("validating INV-6");
            try { Validate("INV-6"); } catch (Exception e) { Print(e); }

            Log.Info("two reports back to back");
            try { ParseAmount("x"); } catch (Exception e) { Print(e); }
            try { Validate("INV-7"); } catch (Exception e) { Print(e); }

            Log.Info("loading invoice INV-8");
            LoadInvoice("INV-8", "eight");
        }

        static void Logger()
        {
            Log.Info("invoice service 1.4.0 starting (logging)");
            try { LoadInvoice("INV-9", "9.99.9"); } catch (Exception e) { Log.Serilog("ERR", "Loading invoice INV-9 failed", e); }
            Log.Info("retrying INV-9 later");
            try { ConvertAsync(1m, "NOK").Wait(); } catch (Exception e) { Log.NLog("ERROR", "Acme.Billing.Rates", "Conversion failed", e); }
            Log.Info("invoice service stopped");
        }

        static void Main(string[] args)
        {
            if (args.Length == 1 && args[0] == "exceptions") Exceptions();
            else if (args.Length == 1 && args[0] == "logger") Logger();
            else Console.Error.WriteLine("usage: Invoices.exe exceptions|logger");
        }
    }
}
