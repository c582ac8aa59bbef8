using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <inheritdoc />
    public partial class VectorIndexHalf : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "vector_index_half",
                table: "corpora",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "vector_index_half",
                table: "corpora");
        }
    }
}
