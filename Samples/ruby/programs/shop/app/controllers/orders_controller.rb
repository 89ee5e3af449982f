# frozen_string_literal: true

class OrdersController < ApplicationController
  ORDERS = { 1042 => { total: 4999 } }.freeze

  def index
    @orders = ORDERS.keys
  end

  def show
    order = ORDERS[order_id]
    render plain: "total: #{order[:total]}"
  end

  def receipt
    order = ORDERS[order_id]
    render plain: "receipt: #{order.fetch(:receipt)}"
  end

  private

  def order_id
    Integer(params[:id])
  end
end
