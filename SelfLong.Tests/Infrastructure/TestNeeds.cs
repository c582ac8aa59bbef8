using Xunit.v3;

namespace SelfLong.Tests.Infrastructure;

/// <summary>
/// Marks a test class that needs the suite's PostgreSQL (a test database, the app, a CLI verb against
/// a database). `./selflong test --fast` leaves out every test carrying the trait Needs=Database.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class NeedsDatabaseAttribute : Attribute, ITraitAttribute
{
    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() => [new(TestNeeds.Trait, TestNeeds.Database)];
}

/// <summary>
/// Marks a test class that drives headless Chromium. A browser test always drives the app, which lives
/// on PostgreSQL, so the class needs the database too.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class NeedsBrowserAttribute : Attribute, ITraitAttribute
{
    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() =>
        [new(TestNeeds.Trait, TestNeeds.Browser), new(TestNeeds.Trait, TestNeeds.Database)];
}

/// <summary>
/// Marks a test that needs neither PostgreSQL nor Chromium but minutes of CPU on a small machine (ten
/// million tokens chunked, RULER samples of a million tokens, a trainer run to several checkpoints).
/// `./selflong test --fast` leaves it out; the full `./selflong test` runs it.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class SlowAttribute : Attribute, ITraitAttribute
{
    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() => [new(TestNeeds.Speed, TestNeeds.Slow)];
}

/// <summary>
/// The fast run: `./selflong test --fast` sets SELFLONG_TEST_FAST=1 and excludes the traits above.
/// A test that reaches the database or the browser without its trait fails here with the fix, rather
/// than with a connection error far from the cause.
/// </summary>
public static class TestNeeds
{
    public const string Trait = "Needs";
    public const string Database = "Database";
    public const string Browser = "Browser";
    public const string Speed = "Speed";
    public const string Slow = "Slow";

    public static bool FastRun => Environment.GetEnvironmentVariable("SELFLONG_TEST_FAST") == "1";

    /// <summary>Throws in the fast run: <paramref name="what"/> names the part that was reached.</summary>
    public static void Require(string need, string what)
    {
        if (!FastRun) return;
        var attribute = need == Browser ? "[NeedsBrowser]" : "[NeedsDatabase]";
        throw new InvalidOperationException(
            $"{what} needs {(need == Browser ? "Chromium" : "PostgreSQL")}, but this is the fast run (`./selflong test --fast`), " +
            $"which runs only tests that need neither PostgreSQL nor Chromium. Mark the test class {attribute}.");
    }
}
