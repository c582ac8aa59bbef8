using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <inheritdoc />
    public partial class PerCorpusTextIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Each corpus there is gets the index ingestion now builds after a load (ChunkTextIndex
            // in SelfLong.Jobs, same name and definition), before the table-wide one goes.
            migrationBuilder.Sql("""
                DO $$
                DECLARE corpus bigint;
                BEGIN
                    FOR corpus IN SELECT id FROM corpora LOOP
                        EXECUTE format('CREATE INDEX IF NOT EXISTS ix_chunks_search_corpus_%s ON chunks USING gin (search_vector) WHERE corpus_id = %s', corpus, corpus);
                    END LOOP;
                END $$;
                """);
            migrationBuilder.DropIndex(
                name: "IX_chunks_search_vector",
                table: "chunks");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_chunks_search_vector",
                table: "chunks",
                column: "search_vector")
                .Annotation("Npgsql:IndexMethod", "GIN");
            migrationBuilder.Sql("""
                DO $$
                DECLARE name text;
                BEGIN
                    FOR name IN SELECT indexname FROM pg_indexes WHERE tablename = 'chunks' AND indexname LIKE 'ix\_chunks\_search\_corpus\_%' LOOP
                        EXECUTE format('DROP INDEX %I', name);
                    END LOOP;
                END $$;
                """);
        }
    }
}
