using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <inheritdoc />
    public partial class SharedUploads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "delete_when_done",
                table: "ingestion_files");

            migrationBuilder.AddColumn<Guid>(
                name: "upload_id",
                table: "ingestion_files",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "upload_chunks",
                columns: table => new
                {
                    upload_id = table.Column<Guid>(type: "uuid", nullable: false),
                    seq = table.Column<int>(type: "integer", nullable: false),
                    data = table.Column<byte[]>(type: "bytea", nullable: false),
                    written_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_upload_chunks", x => new { x.upload_id, x.seq });
                });

            // Uploads are mostly compressed already (archives, Parquet, PDF): stored out of line without another compression pass.
            migrationBuilder.Sql("ALTER TABLE upload_chunks ALTER COLUMN data SET STORAGE EXTERNAL;");

            migrationBuilder.CreateIndex(
                name: "IX_ingestion_files_upload_id",
                table: "ingestion_files",
                column: "upload_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "upload_chunks");

            migrationBuilder.DropIndex(
                name: "IX_ingestion_files_upload_id",
                table: "ingestion_files");

            migrationBuilder.DropColumn(
                name: "upload_id",
                table: "ingestion_files");

            migrationBuilder.AddColumn<bool>(
                name: "delete_when_done",
                table: "ingestion_files",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }
    }
}
