require "spec_helper"

RSpec.describe User do
  it "validates the email" do
    expect(User.new(email: "a@b.c")).to be_valid
  end

  it "rejects a blank name" do
    expect(User.new(name: "")).not_to be_valid
  end

  it "sends a welcome mail", skip: "mailer stubbed" do
  end
end
