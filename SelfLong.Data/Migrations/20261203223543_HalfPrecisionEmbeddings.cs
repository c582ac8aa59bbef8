using Microsoft.EntityFrameworkCore.Migrations;
using Pgvector;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <inheritdoc />
    public partial class HalfPrecisionEmbeddings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<HalfVector>(
                name: "embedding_half",
                table: "chunks",
                type: "halfvec",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "embedding_half",
                table: "chunks");
        }
    }
}
