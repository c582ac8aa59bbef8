using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <inheritdoc />
    public partial class CorpusCommonWords : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "full_text_common_share",
                table: "corpora",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<string[]>(
                name: "full_text_common_words",
                table: "corpora",
                type: "text[]",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "full_text_common_share",
                table: "corpora");

            migrationBuilder.DropColumn(
                name: "full_text_common_words",
                table: "corpora");
        }
    }
}
