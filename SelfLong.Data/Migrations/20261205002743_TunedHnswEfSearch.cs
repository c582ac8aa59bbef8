using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <inheritdoc />
    public partial class TunedHnswEfSearch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "hnsw_ef_search",
                table: "corpora",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "hnsw_recall_at10",
                table: "corpora",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "hnsw_tune_queries",
                table: "corpora",
                type: "integer",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "hnsw_ef_search",
                table: "corpora");

            migrationBuilder.DropColumn(
                name: "hnsw_recall_at10",
                table: "corpora");

            migrationBuilder.DropColumn(
                name: "hnsw_tune_queries",
                table: "corpora");
        }
    }
}
