import Foundation
import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampConnectorsPostgres
import OnrampCore
import OnrampEngine
@testable import OnrampTaxmanSandbox
import Testing

/// The `odoo-postgres-sale-orders` starter template onboarded against tables in Odoo's shape into the sandbox:
/// confirmed orders only, product lines only, percentage discounts, and incremental on write_date and id.
@Suite(.enabled(if: PostgresTestServer.available, "needs ONRAMP_TEST_POSTGRES (source scripts/postgres-test.sh)"))
struct OdooTemplateTests {
    static let tables = [
        "CREATE TABLE S.res_country (id int PRIMARY KEY, code varchar(2), name jsonb)",
        "CREATE TABLE S.res_country_state (id int PRIMARY KEY, country_id int REFERENCES S.res_country, code varchar, name varchar)",
        "CREATE TABLE S.res_currency (id int PRIMARY KEY, name varchar(3))",
        """
        CREATE TABLE S.res_partner (id int PRIMARY KEY, name varchar, street varchar, city varchar, zip varchar,
          state_id int REFERENCES S.res_country_state, country_id int REFERENCES S.res_country)
        """,
        "CREATE TABLE S.product_product (id int PRIMARY KEY, default_code varchar, active bool DEFAULT true)",
        """
        CREATE TABLE S.sale_order (id int PRIMARY KEY, name varchar, state varchar, date_order timestamp,
          partner_id int REFERENCES S.res_partner, partner_shipping_id int REFERENCES S.res_partner,
          currency_id int REFERENCES S.res_currency, write_date timestamp)
        """,
        """
        CREATE TABLE S.sale_order_line (id int PRIMARY KEY, order_id int REFERENCES S.sale_order, sequence int,
          product_id int REFERENCES S.product_product, name text, display_type varchar, product_uom_qty numeric,
          price_unit numeric, discount numeric, write_date timestamp)
        """,
        """
        INSERT INTO S.res_country VALUES (1, 'US', '{"en_US": "United States"}'), (2, 'CA', '{"en_US": "Canada"}')
        """,
        "INSERT INTO S.res_country_state VALUES (10, 1, 'NY', 'New York'), (11, 2, 'ON', 'Ontario'), (12, 1, 'ZZ', 'Nowhere')",
        "INSERT INTO S.res_currency VALUES (1, 'USD'), (2, 'CAD')",
        """
        INSERT INTO S.res_partner VALUES (100, 'Acme', '1 Main St', 'New York', '10001', 10, 1),
          (101, 'Maple', '2 King St', 'Toronto', 'M5V', 11, 2), (102, 'Ghost', '', 'Nowhere', '00000', 12, 1)
        """,
        "INSERT INTO S.product_product VALUES (1000, 'SKU-1'), (1001, 'SKU-2')",
        """
        INSERT INTO S.sale_order VALUES
          (1, 'S00001', 'sale', '2026-11-03 09:00', 100, 100, 1, '2026-11-03 10:00'),
          (2, 'S00002', 'done', '2026-11-03 09:30', 101, 101, 2, '2026-11-03 11:00'),
          (3, 'S00003', 'sale', '2026-11-03 09:45', 102, 102, 1, '2026-11-03 11:00'),
          (4, 'S00004', 'draft', '2026-11-03 09:50', 100, 100, 1, '2026-11-03 12:00')
        """,
        """
        INSERT INTO S.sale_order_line VALUES
          (1, 1, 10, 1000, 'Widget', NULL, 2, 10.50, 10, '2026-11-03 10:00'),
          (2, 1, 20, NULL, 'Accessories', 'line_section', 0, 0, 0, '2026-11-03 10:00'),
          (3, 1, 30, 1001, 'Gadget', NULL, 1, 5.25, 0, '2026-11-03 10:00'),
          (4, 2, 10, 1000, 'Widget', NULL, 3, 2.00, 0, '2026-11-03 11:00'),
          (5, 3, 10, 1000, 'Widget', NULL, 1, 1.00, 0, '2026-11-03 11:00'),
          (6, 4, 10, 1000, 'Widget', NULL, 1, 1.00, 0, '2026-11-03 12:00')
        """,
    ]

    @Test func confirmedOrdersIncrementallyIntoTheSandbox() async throws {
        try await PG.withSchema { schema, db in
            for sql in Self.tables { try await PG.exec(db, sql.replacingOccurrences(of: "S.", with: "\(schema).")) }
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("odoo-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let (runs, calculations) = try await PostgresEndToEndTests.withSandbox { sandbox, url in
                let document = try StarterTemplates.odooPostgres.filled([
                    "host": PG.host, "port": "\(PG.port)", "database": PG.database, "user": PG.user, "sslmode": "disable",
                    "schema": schema, "id_prefix": "ODOO-", "taxman_url": url,
                ])
                var registry = PG.registry()
                HTTPConnectors.register(into: &registry)
                FileConnectors.register(into: &registry)
                let spec = try PipelineLoader.spec(from: document, file: "odoo", secrets: ["TAXMAN_API_KEY": "k",
                                                                                           "ERP_DB_PASSWORD": "unused"],
                                                   registry: registry)
                let runner = PipelineRunner(spec: spec, registry: registry, resources: ConnectorResources(),
                                            checkpoints: FileCheckpointStore(directory: dir + "/state"), outputDirectory: dir)
                var runs = [await runner.run()]
                // An amended order (its line and write_date change) and a newly confirmed one.
                try await PG.exec(db, "UPDATE \(schema).sale_order_line SET product_uom_qty = 4 WHERE id = 4")
                try await PG.exec(db, "UPDATE \(schema).sale_order SET write_date = '2026-11-04 08:00' WHERE id = 2")
                try await PG.exec(db, "UPDATE \(schema).sale_order SET state = 'sale', write_date = '2026-11-04 09:00' WHERE id = 4")
                runs.append(await runner.run())
                runs.append(await runner.run())
                return (runs, await sandbox.state.calculations().arrayValue ?? [])
            }
            let first = runs[0]
            #expect(first.recordsRead == 3 && first.recordsWritten == 2 && first.recordsFailed == 1,
                    "\(first.failureReason ?? "") \(first.sampleErrors)")
            #expect(first.sampleErrors.first?.code == "expr.clean.region", "an unknown state is named: \(first.sampleErrors)")
            func calculation(_ id: String) -> [Value] {
                calculations.filter { $0["transaction_id"] == .string(id) }.compactMap { $0["calculation"] }
            }
            // Two product lines (the section is left out): 2 × 10.50 less 10 % and 5.25, in New York at 8.5 %.
            let one = try #require(calculation("ODOO-S00001").first)
            #expect(one["totalAmount"] == 26.25 && one["totalDiscount"] == 2.1 && one["totalTaxable"] == 24.15, "\(one)")
            #expect(one["lines"]?.arrayValue?.count == 2 && one["totalTax"] == 2.06, "\(one)")
            #expect(calculation("ODOO-S00004").count == 1 && calculation("ODOO-S00002").count == 2)
            #expect(calculation("ODOO-S00002").last?["totalAmount"] == 8, "the amended order is sent again with its new line")
            #expect(runs[1].recordsRead == 2 && runs[1].recordsWritten == 2, "\(runs[1].failureReason ?? "")")
            #expect(runs[2].recordsRead == 0, "nothing changed since")
        }
    }
}
