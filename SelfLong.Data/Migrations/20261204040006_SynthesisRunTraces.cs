using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <inheritdoc />
    public partial class SynthesisRunTraces : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "TraceId",
                table: "synthesis_runs",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "TraceId",
                table: "synthesis_runs");
        }
    }
}
