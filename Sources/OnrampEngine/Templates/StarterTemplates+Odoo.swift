import OnrampCore

extension StarterTemplates {
    /// Confirmed sales orders read from an Odoo database (its PostgreSQL schema), incremental on `write_date` and `id`.
    public static let odooPostgres = StarterTemplate(
        name: "odoo-postgres-sale-orders",
        description: "An Odoo-style PostgreSQL database: confirmed sales orders (sale_order in state sale or done) with "
            + "their product lines (sale_order_line without display_type; product_product's default_code), the "
            + "delivery address (res_partner with res_country and res_country_state) and the currency (res_currency); "
            + "read incrementally on sale_order.write_date and id (Odoo updates it when a line changes). Line "
            + "discounts are percentages, as Odoo keeps them. The database password is the tenant's secret ERP_DB_PASSWORD.",
        parameters: [
            StarterTemplate.Parameter(name: "host", description: "The database server's host name or address",
                                      example: "odoo-db.example"),
            StarterTemplate.Parameter(name: "port", description: "The database server's TCP port", example: "5432"),
            StarterTemplate.Parameter(name: "database", description: "The Odoo database's name", example: "odoo"),
            StarterTemplate.Parameter(name: "user", description: "A role that may read the sales tables (its password is "
                                      + "the tenant's secret ERP_DB_PASSWORD)", example: "onramp_reader"),
            StarterTemplate.Parameter(name: "sslmode", description: "TLS: disable, require, or verify-full",
                                      example: "verify-full"),
            StarterTemplate.Parameter(name: "schema", description: "The schema holding Odoo's tables (a plain name)",
                                      example: "public"),
            idPrefix, taxmanURL,
        ],
        yaml: #"""
        version: 1
        name: odoo-postgres-sale-orders
        source:
          connector: postgres
          config:
            host: "${param:host}"
            port: "${param:port}"
            database: "${param:database}"
            user: "${param:user}"
            password: "${secret:ERP_DB_PASSWORD}"
            sslmode: "${param:sslmode}"
            query: |
              SELECT so.id, so.name AS order_no, so.date_order, so.write_date, cur.name AS currency,
                so.partner_id AS customer_id, ship.city AS ship_city, st.code AS ship_region,
                ship.zip AS ship_postal_code, c.code AS ship_country,
                (SELECT json_agg(json_build_object('item_code', pp.default_code, 'description', l.name,
                          'quantity', l.product_uom_qty, 'price_unit', l.price_unit, 'discount', l.discount)
                          ORDER BY l.sequence, l.id)
                   FROM "${param:schema}".sale_order_line l
                   LEFT JOIN "${param:schema}".product_product pp ON pp.id = l.product_id
                  WHERE l.order_id = so.id AND l.display_type IS NULL) AS lines
              FROM "${param:schema}".sale_order so
              JOIN "${param:schema}".res_partner ship ON ship.id = so.partner_shipping_id
              LEFT JOIN "${param:schema}".res_country_state st ON st.id = ship.state_id
              LEFT JOIN "${param:schema}".res_country c ON c.id = ship.country_id
              JOIN "${param:schema}".res_currency cur ON cur.id = so.currency_id
              WHERE so.state IN ('sale', 'done')
          incremental: {cursor: [write_date], key: [id]}
        steps:
          - name: id-prefix
            default: {fields: {id_prefix: "${param:id_prefix}"}}
          - name: to-taxman-transaction
            map: |
              {
                "transactionId": id_prefix & order_no,
                "type": "SalesInvoice",
                "date": $substring(date_order, 0, 10),
                "currency": $uppercase(currency),
                "customer": {"id": $string(customer_id), "exemptionCode": null},
                "shipTo": {"city": ship_city, "region": ship_region ? $regionCode(ship_country, ship_region) : null,
                           "postalCode": ship_postal_code, "country": ship_country},
                "lines": [lines#$i.{
                  "number": $string($i + 1),
                  "itemCode": item_code,
                  "description": description,
                  "quantity": quantity,
                  "amount": $money(quantity * price_unit),
                  "discount": $money(quantity * price_unit * (discount ? discount : 0) / 100)
                }]
              }
        \#(taxmanDestination)
        """#)
}
