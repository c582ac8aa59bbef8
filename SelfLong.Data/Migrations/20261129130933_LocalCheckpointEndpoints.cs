using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <inheritdoc />
    public partial class LocalCheckpointEndpoints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CheckpointPath",
                table: "model_endpoints",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Device",
                table: "model_endpoints",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "MaxNewTokens",
                table: "model_endpoints",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "Temperature",
                table: "model_endpoints",
                type: "double precision",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CheckpointPath",
                table: "model_endpoints");

            migrationBuilder.DropColumn(
                name: "Device",
                table: "model_endpoints");

            migrationBuilder.DropColumn(
                name: "MaxNewTokens",
                table: "model_endpoints");

            migrationBuilder.DropColumn(
                name: "Temperature",
                table: "model_endpoints");
        }
    }
}
