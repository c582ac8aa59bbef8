using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Storage;

namespace SelfLong.Tests.Corpora;

public sealed class HnswBuildTests
{
    private static readonly ChunkVectorIndex.Build Build = new(M: 32, EfConstruction: 128, MemoryMb: 2048, FromChunks: 50_000);

    [Fact]
    public void For_BelowTheSize_PgvectorsDefaults_FromIt_TheConfiguredGraph()
    {
        Assert.Equal((16, 64), Build.For(49_999));
        Assert.Equal((32, 128), Build.For(50_000));
    }

    /// <summary>The configured defaults and the one tests and tools build with are one graph, one threshold.</summary>
    [Fact]
    public void ConfiguredDefaults_AreTheBuildDefaults() =>
        Assert.Equal(ChunkVectorIndex.Build.Default, new CorporaOptions().HnswBuild);

    [Theory]
    // 9,521 chunks of 256 dimensions (the sotu sample): about 20 MB, so the floor.
    [InlineData(9_521, 256, false, 64)]
    // 200,000 chunks at m 32: 200,000 x (1,032 + 1,024 + 128) x 1.25 bytes = 521 MB.
    [InlineData(200_000, 256, false, 521)]
    // Cast to halfvec: 200,000 x (520 + 1,024 + 128) x 1.25 bytes = 399 MB.
    [InlineData(200_000, 256, true, 399)]
    // A million: more than the cap.
    [InlineData(1_000_000, 256, false, 2048)]
    // 4,096 dimensions are binary-quantized: 520 bytes a vector.
    [InlineData(1_000_000, 4096, true, 1994)]
    public void MemoryMbFor_SizesTheGraph_BetweenTheFloorAndTheCap(long chunks, int dimension, bool halfIndex, int expected) =>
        Assert.Equal(expected, Build.MemoryMbFor(chunks, new VectorLayout(dimension, halfIndex)));
}
